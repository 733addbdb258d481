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


# Names of documents that live outside the repository, and the habit of citing them by
# section number. The repository's text states its rules itself or points into docs/.
OUTSIDE_REFERENCE = re.compile(
    r"PRODUCT\.md|reverb-api\.md|ARCHITECTURE\.md|landscape\.md|ui-review|ops-review"
    r"|TEAM-RULES|\bthe seed\b|\bseed's\b|\.\./shared|shared/|/work/|§\s*[0-9]",
    re.IGNORECASE,
)
TEXT_SUFFIXES = {".py", ".md", ".toml", ".cfg", ".ini", ".txt", ".sh", ".service", ".timer", ".env"}


def repository_text_files() -> list[Path]:
    """Every text file a reader of the repository meets: code, tests, docs and build files."""
    files = [ROOT / name for name in ("README.md", "CONTRIBUTING.md", "Makefile", "pyproject.toml")]
    for folder in ("reverb_tui", "tests", "benchmarks", "scripts", "contrib", "docs", ".ci"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and (path.suffix in TEXT_SUFFIXES or folder in ("contrib", ".ci")):
                files.append(path)
    return [path for path in files if path.exists() and path != Path(__file__).resolve()]


def test_the_text_checker_sees_the_repository_and_catches_a_reference() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in repository_text_files()}
    assert {"reverb_tui/app.py", "docs/cli.md", "Makefile", ".ci/run", "tests/conftest.py"} <= names
    for sample in ("see PRODUCT.md section 3", "the seed's wizard", "(reverb-api.md §2.6)"):
        assert OUTSIDE_REFERENCE.search(sample), sample
    for fine in ("--seed SEED", "the seeded faults", "a shared lock", "docs/user-guide.md"):
        assert not OUTSIDE_REFERENCE.search(fine), fine


def test_no_text_in_the_repository_points_outside_it() -> None:
    found = []
    for path in repository_text_files():
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if OUTSIDE_REFERENCE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def test_no_help_text_mentions_the_seed() -> None:
    def walk(parser: argparse.ArgumentParser) -> list[str]:
        texts = [parser.format_help()]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child in {id(c): c for c in action.choices.values()}.values():
                    texts.extend(walk(child))
        return texts

    texts = walk(build_parser())
    assert len(texts) > 40  # every command's help was rendered
    for text in texts:
        assert not OUTSIDE_REFERENCE.search(text), text


def test_contributing_replaces_the_team_notes() -> None:
    assert not (ROOT / "docs" / "TEAM-RULES.md").exists()
    text = (ROOT / "CONTRIBUTING.md").read_text()
    for topic in ("make typecheck", "## Layout of `reverb_tui/`", "## Adding a migration"):
        assert topic in text
