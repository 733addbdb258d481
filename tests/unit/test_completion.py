"""Shell completion (reverb_tui/cli/completion.py): the scripts for bash, zsh and fish, and
what Tab offers on a sample database, through the real ``reverb-tui`` process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reverb_tui.__main__ import main
from tests.db_rows import add_channel, add_service

EXE = Path(sys.executable).with_name("reverb-tui")
SEP = "\013"  # argcomplete's separator between candidates


@pytest.fixture
def sample_db(make_services, db_path: Path) -> Path:
    svc = make_services()
    add_channel(svc, "Main shop")
    add_channel(svc, "Harbour Music Co.")
    add_service(svc, "Royal Mail 24")
    add_service(svc, "DHL Express")
    svc.inventory.upsert("GTR-1", title="Guitar", on_hand=2)
    svc.inventory.upsert("AMP-7", title="Amplifier", on_hand=1)
    return db_path


def complete(line: str, tmp_path: Path, env: dict[str, str] | None = None) -> list[str]:
    """What the shell would get for Tab at the end of ``line`` (bash quoting)."""
    out = tmp_path / "completions"
    out.unlink(missing_ok=True)
    run_env = {k: v for k, v in os.environ.items() if k != "REVERB_TUI_DB"}
    run_env.update(
        COMP_LINE=line,
        COMP_POINT=str(len(line)),
        _ARGCOMPLETE="1",
        _ARGCOMPLETE_STDOUT_FILENAME=str(out),
        **(env or {}),
    )
    proc = subprocess.run(
        [str(EXE)], env=run_env, capture_output=True, text=True, timeout=30, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    return sorted(c.rstrip() for c in text.split(SEP)) if text else []


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nospace -o default -o bashdefault -F _python_argcomplete reverb-tui"),
        ("zsh", "compdef _python_argcomplete reverb-tui"),
        ("fish", "complete --command reverb-tui -f -a '(__fish_reverb-tui_complete)'"),
    ],
)
def test_completion_prints_the_script_for_each_shell(
    shell: str, marker: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["completion", shell]) == 0
    out, err = capsys.readouterr()
    assert marker in out and err == ""


def test_completion_refuses_another_shell(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["completion", "tcsh"])
    assert stop.value.code == 2
    assert "invalid choice: 'tcsh'" in capsys.readouterr().err


def test_commands_and_options_complete(tmp_path: Path) -> None:
    assert complete("reverb-tui ch", tmp_path) == ["channels"]
    assert complete("reverb-tui channels re", tmp_path) == [
        "reauthorise",
        "reauthorize",
        "remove",
    ]
    assert complete("reverb-tui completion ", tmp_path) == ["bash", "fish", "zsh"]
    assert complete("reverb-tui sync --or", tmp_path) == ["--orders-only"]


def test_names_come_from_the_database_the_command_line_names(
    sample_db: Path, tmp_path: Path
) -> None:
    db = f"--db {sample_db}"
    integrations = ["Harbour\\ Music\\ Co.", "Main\\ shop"]
    assert complete(f"reverb-tui {db} channels enable ", tmp_path) == integrations
    assert complete(f"reverb-tui channels set --db {sample_db} ", tmp_path) == integrations
    assert complete(f"reverb-tui {db} sync --channel Ma", tmp_path) == ["Main\\ shop"]
    assert complete(f"reverb-tui {db} orders ship ", tmp_path) == integrations
    assert complete(f"reverb-tui {db} skus map Main\\ shop --sku ", tmp_path) == [
        "AMP-7",
        "GTR-1",
    ]
    assert complete(f"reverb-tui {db} inventory set G", tmp_path) == ["GTR-1"]
    assert complete(f"reverb-tui {db} shipping map X --service R", tmp_path) == [
        "Royal\\ Mail\\ 24"
    ]
    assert complete(f"reverb-tui {db} shipping services delete ", tmp_path) == [
        "DHL\\ Express",
        "Royal\\ Mail\\ 24",
    ]
    # A new name is the user's to type: nothing stored is offered.
    assert complete(f"reverb-tui {db} inventory add ", tmp_path) == []
    assert complete(f"reverb-tui {db} shipping services add ", tmp_path) == []
    # Files where a file is asked for.
    (tmp_path / "stock.csv").write_text("sku,title,on_hand\n")
    assert complete(f"reverb-tui {db} inventory import st", tmp_path) == ["stock.csv"]
    # $REVERB_TUI_DB when there is no --db.
    assert complete("reverb-tui log --channel H", tmp_path, {"REVERB_TUI_DB": str(sample_db)}) == [
        "Harbour\\ Music\\ Co."
    ]


def test_completion_never_creates_a_database(tmp_path: Path) -> None:
    missing = tmp_path / "none" / "reverb.db"
    assert complete(f"reverb-tui --db {missing} channels enable ", tmp_path) == []
    assert not missing.parent.exists()
    default_dir = tmp_path / "xdg-data" / "reverb-tui"
    assert complete("reverb-tui channels enable ", tmp_path) == []
    assert not default_dir.exists()


def test_help_loads_neither_argcomplete_nor_a_database(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from reverb_tui.__main__ import main\n"
        "try:\n"
        "    main(['channels', 'enable', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = sorted(m for m in ('argcomplete', 'sqlite3', 'sqlalchemy') if m in sys.modules)\n"
        "print(loaded)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_the_bash_script_completes_in_bash(sample_db: Path, tmp_path: Path) -> None:
    """The printed script, sourced by a real bash, fills COMPREPLY as Tab would."""
    script = tmp_path / "reverb-tui.bash"
    script.write_text(subprocess.check_output([str(EXE), "completion", "bash"], text=True))
    line = f"reverb-tui --db {sample_db} channels disable "
    driver = (
        f"source {script}\n"
        f"COMP_LINE='{line}'; COMP_POINT={len(line)}\n"
        f"COMP_WORDS=(reverb-tui --db {sample_db} channels disable ''); COMP_CWORD=5\n"
        "_python_argcomplete reverb-tui '' disable\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {k: v for k, v in os.environ.items() if k != "REVERB_TUI_DB"}
    env["PATH"] = f"{EXE.parent}{os.pathsep}{env.get('PATH', '')}"
    proc = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", driver],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(proc.stdout.split("\n")[:-1]) == ["Harbour\\ Music\\ Co.", "Main\\ shop"]
