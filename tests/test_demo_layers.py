"""The demo is built in layers, one section per app, lower apps first: a section reads what
lower apps built and never imports a higher app (read from the modules' source with ast).
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.apps import apps
from django.conf import settings

from accounts.demo import demo_modules


def project_apps() -> list[str]:
    """The project's own apps, in ``INSTALLED_APPS`` order (dependency order)."""
    root = Path(settings.BASE_DIR).resolve()
    return [c.name for c in apps.get_app_configs() if root in Path(c.path).resolve().parents]


def imported_packages(path: Path) -> set[str]:
    """The top-level packages a module imports, anywhere in it (lazy imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_sections_run_lower_apps_first() -> None:
    """seed_demo runs the accounts section, then the campaign's, then the ledgers', then the
    supervision notices', then the assessments'; each is a module ``<app>.demo`` with its
    STEPS."""
    modules = demo_modules()
    assert [m.__name__ for m in modules] == [
        "accounts.demo",
        "campaign.demo",
        "tasks_ledger.demo",
        "accountability.demo",
        "assessments.demo",
    ]
    order = project_apps()
    assert [order.index(m.__name__.split(".")[0]) for m in modules] == sorted(
        order.index(m.__name__.split(".")[0]) for m in modules
    )
    for module in modules:
        assert module.STEPS and all(callable(step) for step in module.STEPS)


def test_no_section_imports_a_higher_app() -> None:
    """GIVEN each app's demo module THEN it imports no app that comes after its own in
    ``INSTALLED_APPS`` (the campaign's section does not know the ledgers exist)."""
    order = project_apps()
    for module in demo_modules():
        app = module.__name__.split(".")[0]
        assert module.__file__ is not None
        higher = set(order[order.index(app) + 1 :])
        assert not imported_packages(Path(module.__file__)) & higher, module.__name__
    campaign = next(m for m in demo_modules() if m.__name__ == "campaign.demo")
    assert campaign.__file__ is not None
    assert "tasks_ledger" not in imported_packages(Path(campaign.__file__))


def test_the_check_sees_lazy_imports(tmp_path: Path) -> None:
    """The check reads imports inside functions too (the old campaign section imported the
    ledgers' lazily)."""
    source = tmp_path / "demo.py"
    source.write_text(
        "from accounts.demo import DemoWorld\n"
        "def build(world):\n"
        "    from tasks_ledger.demo import build_ledgers\n"
        "    import assessments.models\n",
        encoding="utf-8",
    )
    assert imported_packages(source) == {"accounts", "tasks_ledger", "assessments"}
