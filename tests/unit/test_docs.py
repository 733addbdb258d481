"""The documentation stands alone and keeps up with the CLI: every command and option of the
parser is in docs/cli.md, links resolve, and nothing points outside the repository."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from reverb_tui.__main__ import build_parser

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
CLI_DOC = (ROOT / "docs" / "cli.md").read_text()
HEADINGS = [line for line in CLI_DOC.splitlines() if line.startswith("### ")]


def commands() -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every command that runs something, by its words (aliases left out)."""
    found = []

    def walk(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> None:
        if parser.get_default("handler") is not None:
            found.append((path, parser))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                seen: set[int] = set()
                for name, child in action.choices.items():
                    if id(child) not in seen:  # an alias shares its parser
                        seen.add(id(child))
                        walk(child, (*path, name))

    walk(build_parser(), ())
    return found


COMMANDS = commands()


def test_the_parser_has_the_commands_this_test_expects() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"channels add", "sync", "orders ship", "completion", "serve"} <= names
    assert "channels reauthorize" not in names  # the alias of reauthorise


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=" ".join)
def test_every_command_has_a_heading_in_the_cli_reference(path: tuple[str, ...]) -> None:
    words = " ".join(path)
    assert any(f"`{words}" in h or f"`reverb-tui {words}" in h for h in HEADINGS), words


@pytest.mark.parametrize(("path", "parser"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_option_is_in_the_cli_reference(
    path: tuple[str, ...], parser: argparse.ArgumentParser
) -> None:
    for action in parser._actions:
        if action.help == argparse.SUPPRESS or action.dest in ("help", "db"):
            continue
        for option in action.option_strings:
            if option.startswith("--"):
                assert option in CLI_DOC, f"{' '.join(path)} {option}"


def test_the_exit_codes_are_documented() -> None:
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 130 |"):
        assert code in CLI_DOC


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_documents_point_only_inside_the_repository(doc: Path) -> None:
    text = doc.read_text()
    for outside in ("../shared", "PRODUCT.md", "ARCHITECTURE.md", "/work/", "TEAM-RULES"):
        assert outside not in text, outside
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if "://" in target:
            continue
        assert (doc.parent / target).exists(), target


def test_contributing_replaces_the_team_notes() -> None:
    assert not (ROOT / "docs" / "TEAM-RULES.md").exists()
    text = (ROOT / "CONTRIBUTING.md").read_text()
    for topic in ("make typecheck", "## Layout of `reverb_tui/`", "## Adding a migration"):
        assert topic in text
