"""Layering (CONTRIBUTING.md "Conventions"): reverb/, db/, sync/, services/ and views/ never import Textual.
Nor does ``reverb_tui.text_safety`` (the display sanitiser the CLI and the lower layers use),
which imports no Rich either.

Two checks: every module of those packages is imported in a fresh interpreter where
``textual`` cannot be imported at all (``sys.modules['textual'] = None``); and every source
file of theirs (Alembic's migration scripts included) is parsed for an import of Textual or of
the UI modules anywhere, also inside functions, where importing alone would not reach it.
"""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import reverb_tui

LAYERS = ("reverb", "db", "sync", "services", "views")
# Single headless modules outside those packages, checked the same way.
HEADLESS_MODULES = ("text_safety", "live")
ROOT = Path(reverb_tui.__file__).parent


def layer_modules() -> list[str]:
    names: list[str] = []
    for layer in LAYERS:
        package = ROOT / layer
        names.append(f"reverb_tui.{layer}")
        for info in pkgutil.walk_packages([str(package)], prefix=f"reverb_tui.{layer}."):
            # Alembic's scripts run only inside Alembic (they read alembic.context.config);
            # the source check below covers them.
            if not info.name.startswith("reverb_tui.db.migrations"):
                names.append(info.name)
    names.extend(f"reverb_tui.{m}" for m in HEADLESS_MODULES)
    return sorted(names)


SCRIPT = """
import importlib, sys
sys.modules["textual"] = None  # any `import textual...` now raises ImportError
failed = []
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except ImportError as exc:
        failed.append(f"{name}: {exc}")
leaked = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print("\\n".join(failed + [f"loaded {m}" for m in leaked if sys.modules[m] is not None]))
sys.exit(1 if failed else 0)
"""


def test_lower_layers_import_without_textual() -> None:
    modules = layer_modules()
    assert "reverb_tui.reverb.client" in modules and "reverb_tui.services.channels" in modules
    assert "reverb_tui.text_safety" in modules
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *modules],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == ""


def test_the_check_catches_a_textual_import() -> None:
    """The blocking works: importing the app (which uses Textual) fails under it."""
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, "reverb_tui.app"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "reverb_tui.app" in done.stdout


UI_MODULES = ("textual", "reverb_tui.app", "reverb_tui.screens", "reverb_tui.widgets")


def imported_names(source: str, package: str) -> list[str]:
    """Every module a source imports (anywhere in it), relative imports resolved."""
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.append(module)
            names.extend(f"{module}.{alias.name}" for alias in node.names)
    return names


def ui_imports(source: str, package: str) -> list[str]:
    return [
        name
        for name in imported_names(source, package)
        if any(name == ui or name.startswith(ui + ".") for ui in UI_MODULES)
    ]


def test_lower_layers_never_mention_ui_imports_in_source() -> None:
    offenders = []
    files = [f for layer in LAYERS for f in sorted((ROOT / layer).rglob("*.py"))]
    files += [ROOT / f"{m}.py" for m in HEADLESS_MODULES]
    assert any(f.name == "env.py" for f in files)
    for path in files:
        package = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts[:-1])
        for name in ui_imports(path.read_text(), package):
            offenders.append(f"{path.relative_to(ROOT.parent)} imports {name}")
    assert offenders == []


def test_the_source_check_finds_lazy_and_relative_ui_imports() -> None:
    source = (
        "from ..db.engine import session_scope\n"
        "def later():\n"
        "    from ..screens.channel_list import ChannelListScreen\n"
        "    from .. import widgets\n"
        "    import textual.app\n"
    )
    found = ui_imports(source, "reverb_tui.sync")
    assert found == [
        "reverb_tui.screens.channel_list",
        "reverb_tui.screens.channel_list.ChannelListScreen",
        "reverb_tui.widgets",
        "textual.app",
    ]


# -- the upper floors: widgets below screens, screens below the App ------------------------------
#
# Imports under ``if TYPE_CHECKING:`` are for annotations only and never run; every other
# import counts, lazy ones inside functions included.

UPPER_RULES = {
    # package or module -> what it must not import at run time
    "widgets": ("reverb_tui.screens", "reverb_tui.app"),
    "ui_workers.py": ("reverb_tui.screens", "reverb_tui.widgets", "reverb_tui.app"),
    "ui_text.py": ("textual", "reverb_tui.screens", "reverb_tui.widgets", "reverb_tui.app"),
    "screens": ("reverb_tui.app",),
}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(source: str, package: str) -> list[str]:
    """Like ``imported_names`` but without the bodies of ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            node.body = [ast.Pass()]
    return imported_names(ast.unparse(tree), package)


def forbidden_imports(path: Path, forbidden: tuple[str, ...]) -> list[str]:
    package = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts[:-1])
    return [
        f"{path.relative_to(ROOT.parent)} imports {name}"
        for name in runtime_imports(path.read_text(), package)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]


def test_widgets_import_no_screen_and_screens_no_app_at_run_time() -> None:
    offenders = []
    checked = 0
    for where, forbidden in UPPER_RULES.items():
        target = ROOT / where
        files = sorted(target.rglob("*.py")) if target.is_dir() else [target]
        assert files and all(f.exists() for f in files), where
        for path in files:
            checked += 1
            offenders.extend(forbidden_imports(path, forbidden))
    assert checked > 30
    assert offenders == []


def test_the_upper_check_finds_runtime_imports_and_skips_type_only_ones() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from ..ui_workers import WorkerRouting\n"
        "if TYPE_CHECKING:\n"
        "    from ..app import ReverbApp\n"
        "    from ..screens.base import ReverbScreen\n"
        "def later():\n"
        "    from ..screens.base import GROUP_DB\n"
        "    from .. import app\n"
    )
    found = [
        name
        for name in runtime_imports(source, "reverb_tui.widgets")
        if any(name == f or name.startswith(f + ".") for f in UPPER_RULES["widgets"])
    ]
    assert found == [
        "reverb_tui.screens.base",
        "reverb_tui.screens.base.GROUP_DB",
        "reverb_tui.app",
    ]


def test_text_safety_imports_neither_textual_nor_rich() -> None:
    """The sanitiser is stdlib only: the CLI and the lower layers use it without Rich (a
    dependency of Textual, not of theirs); the Rich helper lives in ``reverb_tui.safe_rich``."""
    script = SCRIPT.replace(
        'sys.modules["textual"] = None', 'sys.modules["textual"] = sys.modules["rich"] = None'
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "reverb_tui.text_safety"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    source = (ROOT / "text_safety.py").read_text()
    assert [n for n in imported_names(source, "reverb_tui") if n.split(".")[0] == "rich"] == []
    # The blocking works for Rich too: the Rich helper fails under it.
    done = subprocess.run(
        [sys.executable, "-c", script, "reverb_tui.safe_rich"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and "reverb_tui.safe_rich" in done.stdout
