"""App configs of the project itself."""

from __future__ import annotations

from django.contrib.staticfiles.apps import StaticFilesConfig


class AssetsConfig(StaticFilesConfig):
    """Collect only what pages load from the npm packages: no ES-module or unminified
    ECharts builds, their source maps or extensions (they are most of the 160 MB otherwise).
    Bootstrap's maps stay: its CSS names them and the manifest storage checks every name."""

    ignore_patterns = [
        *StaticFilesConfig.ignore_patterns,
        "echarts*.map",
        "*.esm.*",
        "*.mjs",
        "extension",
        "echarts.js",
        "echarts.common*",
        "echarts.simple*",
        "package.json",
    ]
