"""Packaging facts a test can check without building (scripts/wheel_check.sh builds the wheel,
installs it in a fresh venv and runs it; CI runs it after the suite)."""

from __future__ import annotations

import fnmatch
import tomllib
from importlib.metadata import metadata
from pathlib import Path

import reverb_tui
from reverb_tui.reverb import client

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_version_is_written_once() -> None:
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "reverb_tui.__version__"
    }
    assert metadata("reverb-tui")["Version"] == reverb_tui.__version__


def test_the_user_agent_carries_the_version_and_no_placeholder() -> None:
    assert client.USER_AGENT == f"reverb-tui/{reverb_tui.__version__}"
    assert "http" not in client.USER_AGENT


def test_the_licence_file_matches_the_declared_licence() -> None:
    assert PYPROJECT["project"]["license"] == "MIT"
    assert PYPROJECT["project"]["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n") and "WITHOUT WARRANTY OF ANY KIND" in text


def test_every_file_outside_a_regular_package_is_listed_as_package_data() -> None:
    """Namespace discovery is off, so a module counts only inside a directory with an
    __init__.py; anything else (stylesheets, Alembic's revisions and template) reaches the
    wheel only through a package-data pattern."""
    assert PYPROJECT["tool"]["setuptools"]["packages"]["find"]["namespaces"] is False
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["reverb_tui"]
    package = ROOT / "reverb_tui"
    unlisted = []
    for path in package.rglob("*"):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        if path.suffix == ".py" and (path.parent / "__init__.py").exists():
            continue  # a module of a regular package
        rel = path.relative_to(package).as_posix()
        # setuptools globs do not cross directories: "*.tcss" is the top level only.
        if not any(fnmatch.fnmatch(rel, p) and rel.count("/") == p.count("/") for p in patterns):
            unlisted.append(rel)
    assert unlisted == []
    assert any((package / "db/migrations/versions").glob("0001_*.py"))


def test_the_readme_states_the_python_it_needs() -> None:
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"
    assert "Python 3.11+" in (ROOT / "README.md").read_text()
