"""App configs of the project itself."""

from __future__ import annotations

from django.contrib.staticfiles.apps import StaticFilesConfig


class AssetsConfig(StaticFilesConfig):
    """Collect only what pages load from the npm packages: no source maps, no ES-module or
    unminified builds, no ECharts extensions (they are most of the 160 MB otherwise)."""

    ignore_patterns = [
        *StaticFilesConfig.ignore_patterns,
        "*.map",
        "*.esm.*",
        "*.mjs",
        "extension",
        "echarts.js",
        "echarts.common*",
        "echarts.simple*",
        "package.json",
    ]
