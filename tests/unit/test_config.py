"""The config file (reverb_tui/config.py) and `reverb-tui paths`: what it sets, what wins
over it, and one sentence with the file and the line for a file that cannot be used."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from reverb_tui import config, paths
from reverb_tui.__main__ import main
from reverb_tui.config import Config, ConfigError


@pytest.fixture(autouse=True)
def fresh_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test its own config file location, read afresh."""
    path = tmp_path / "xdg-config" / "reverb-tui" / "config.toml"
    monkeypatch.delenv(config.CONFIG_ENV, raising=False)
    monkeypatch.delenv("REVERB_TUI_HTTP_TIMEOUT", raising=False)
    config._load_cached.cache_clear()
    yield path
    config._load_cached.cache_clear()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_the_file_is_in_the_platform_config_dir_unless_the_environment_names_one(
    fresh_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert config.config_path() == fresh_config
    monkeypatch.setenv(config.CONFIG_ENV, str(tmp_path / "other.toml"))
    assert config.config_path() == tmp_path / "other.toml"


def test_no_file_is_an_empty_config(fresh_config: Path) -> None:
    assert config.current() == Config(path=fresh_config, exists=False)


def test_every_setting(fresh_config: Path) -> None:
    write(
        fresh_config,
        "# my settings\n"
        'database = "~/shop/reverb.db"\n'
        "http_timeout = 7.5\n"
        "interval = 300\n"
        'theme = "textual-dark"\n'
        "\n"
        "[keymap]\n"
        '"orders.search" = "ctrl+f"\n'
        'quit = "ctrl+q,f10"\n',
    )
    assert config.current() == Config(
        path=fresh_config,
        exists=True,
        database="~/shop/reverb.db",
        http_timeout=7.5,
        interval=300,
        theme="textual-dark",
        keymap={"orders.search": "ctrl+f", "quit": "ctrl+q,f10"},
    )


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("database = \n", "line 1 is not valid TOML: invalid value."),
        (
            '# a\n\ndatabse = "x"\n',
            "line 3: unknown setting 'databse' (known: database, "
            "http_timeout, interval, theme, keymap, lease_seconds).",
        ),
        (
            "lease_seconds = 1\n",
            "line 1: lease_seconds must be a whole number of seconds from 2 to 3600.",
        ),
        (
            'lease_seconds = "60"\n',
            "line 1: lease_seconds must be a whole number of seconds from 2 to 3600.",
        ),
        (
            'theme = "x"\nhttp_timeout = "20"\n',
            "line 2: http_timeout must be a number of seconds from 0.1 to 600.",
        ),
        ("http_timeout = 0\n", "line 1: http_timeout must be a number of seconds from 0.1 to 600."),
        (
            "http_timeout = true\n",
            "line 1: http_timeout must be a number of seconds from 0.1 to 600.",
        ),
        (
            "interval = 2.5\n",
            "line 1: interval must be a whole number of seconds from 10 to 86400.",
        ),
        ("interval = 5\n", "line 1: interval must be a whole number of seconds from 10 to 86400."),
        ('database = ""\n', "line 1: database must be a path or a database URL, in quotes."),
        ("theme = 3\n", "line 1: theme must be a theme's name, in quotes."),
        (
            'keymap = "ctrl+f"\n',
            'line 1: keymap must be a table: [keymap] then binding-id = "keys".',
        ),
        (
            'theme = "a"\n[keymap]\nquit = "q"\n"orders.search" = 4\n',
            'line 4: the keys for \'orders.search\' must be text such as "ctrl+f" or "f2,ctrl+f".',
        ),
    ],
)
def test_a_bad_file_is_one_sentence_with_file_and_line(
    fresh_config: Path, text: str, sentence: str
) -> None:
    write(fresh_config, text)
    with pytest.raises(ConfigError) as raised:
        config.current()
    message = raised.value.message
    assert message.startswith(f"The config file {fresh_config}, ") and message.endswith(sentence)
    assert "\n" not in message


def test_an_unreadable_file_is_one_sentence(fresh_config: Path) -> None:
    fresh_config.mkdir(parents=True)
    with pytest.raises(ConfigError, match=r"^The config file .* is a directory, not a file\.$"):
        config.current()


def test_a_bad_file_stops_a_command_in_one_line(
    fresh_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(fresh_config, "http_timeout = [1]\n")
    assert main(["channels", "list"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"Error: The config file {fresh_config}, line 1: http_timeout must be a number of "
        "seconds from 0.1 to 600.\n"
    )


def test_the_database_flag_then_environment_then_file_then_default(
    fresh_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = str(paths.default_db_path())
    assert paths.db_choice(None) == (default, "default")
    write(fresh_config, 'database = "~/shop/reverb.db"\n')
    config._load_cached.cache_clear()
    assert paths.db_choice(None) == (str(Path("~/shop/reverb.db").expanduser()), "config")
    monkeypatch.setenv("REVERB_TUI_DB", "/env/reverb.db")
    assert paths.db_choice(None) == ("/env/reverb.db", "$REVERB_TUI_DB")
    assert paths.db_choice("/flag.db") == ("/flag.db", "--db")
    monkeypatch.delenv("REVERB_TUI_DB")
    write(fresh_config, 'database = "postgresql://u:p@db/reverb"\n')
    config._load_cached.cache_clear()
    assert paths.db_target(None) == "postgresql://u:p@db/reverb"


def test_a_configured_database_is_the_one_commands_use(
    fresh_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "configured" / "shop.db"
    write(fresh_config, f'database = "{db}"\n')
    assert main(["channels", "list", "--json"]) == 0
    assert capsys.readouterr().out == "[]\n"
    assert db.is_file()


async def test_the_http_timeout_environment_then_file_then_default(
    fresh_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reverb_tui.services.factory import default_client_factory

    async def timeout() -> float | None:
        client = default_client_factory("https://api.reverb.com/api", "t" * 20, 4.0)
        try:
            return client._http.timeout.read
        finally:
            await client.aclose()

    assert await timeout() == 20.0
    write(fresh_config, "http_timeout = 7.5\n")
    config._load_cached.cache_clear()
    assert await timeout() == 7.5
    monkeypatch.setenv("REVERB_TUI_HTTP_TIMEOUT", "3")
    assert await timeout() == 3.0


def test_paths_json_names_every_location_and_creates_nothing(
    fresh_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv(paths.LOG_DIR_ENV, raising=False)
    assert main(["paths", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    data = tmp_path / "xdg-data" / "reverb-tui"
    assert found == {
        "config": str(fresh_config),
        "database": str(data / "reverb.db"),
        "database_from": "default",
        "data": str(data),
        "cache": str(tmp_path / "xdg-cache" / "reverb-tui"),
        "log": str(tmp_path / "state" / "reverb-tui" / "log"),
        "log_file": str(tmp_path / "state" / "reverb-tui" / "log" / "reverb-tui.log"),
        "error_report": str(tmp_path / "xdg-cache" / "reverb-tui" / "last-error.txt"),
        "tui_state": str(tmp_path / "state" / "reverb-tui" / "tui-state.json"),
        "key": str(tmp_path / "xdg-config" / "reverb-tui" / "secret.key"),
        "key_from": "file",
    }
    assert not data.exists() and not fresh_config.exists()
    assert not Path(found["key"]).exists()  # the key file is made on first use, not here

    assert main(["paths", "--db", str(tmp_path / "x.db")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"config       {fresh_config}  (not there yet)"
    assert lines[1] == f"database     {tmp_path / 'x.db'}  (from --db)  (not there yet)"
    assert [line.split()[0] for line in lines] == [
        "config",
        "database",
        "data",
        "cache",
        "log",
        "log_file",
        "error_report",
        "tui_state",
        "key",
    ]
    assert (
        lines[-1]
        == f"key          {tmp_path / 'xdg-config' / 'reverb-tui' / 'secret.key'}  (not there yet)"
    )

    monkeypatch.setenv("REVERB_TUI_SECRET", "a team secret")
    assert main(["paths", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert (found["key"], found["key_from"]) == ("$REVERB_TUI_SECRET", "env")
    assert "a team secret" not in json.dumps(found)


def test_the_configured_interval_applies_to_new_integrations(
    fresh_config: Path, make_services
) -> None:
    from reverb_tui.reverb.client import AccountInfo

    svc = make_services()
    account = AccountInfo(seller_id="1", shop_name="Shop", shop_currency="USD")

    def add(name: str) -> int:
        draft = svc.channels.draft(name=name, currency="USD", token="tok_" + "x" * 20)
        return svc.channels.create(draft, account).interval_seconds

    assert add("Before") == 60  # the built-in default
    write(fresh_config, "interval = 300\n")
    config._load_cached.cache_clear()
    assert add("After") == 300
    assert svc.channels.get("Before").interval_seconds == 60  # existing ones keep theirs


def test_the_tui_theme_comes_from_flag_env_palette_config_in_that_order(
    fresh_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(fresh_config, 'theme = "nord"\n')
    config._load_cached.cache_clear()
    settings = config.tui_settings()
    assert (settings.theme, settings.theme_from) == ("nord", "config")
    assert settings.state_file is not None
    config.remember_theme(settings.state_file, "dracula", settings.config_theme)
    assert config.tui_settings().theme_from == "palette"
    assert config.tui_settings().theme == "dracula"
    monkeypatch.setenv("REVERB_TUI_THEME", "monokai")
    assert config.tui_settings().theme == "monokai"
    assert config.tui_settings("gruvbox").theme_from == "--theme"
    monkeypatch.delenv("REVERB_TUI_THEME")
    settings.state_file.write_text("{not json")  # a damaged state file is no state at all
    assert config.tui_settings().theme == "nord"
    assert fresh_config.read_text() == 'theme = "nord"\n'
