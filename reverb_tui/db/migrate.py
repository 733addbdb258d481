"""Apply the versioned migrations (Alembic) to an engine, programmatically, on start."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from .quick import HEAD  # the newest revision (defined there, read without SQLAlchemy)

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolates "%": a path like "100%/reverb.db" or a URL-encoded password
    # ("p%40ss") would raise ValueError unless doubled.
    url = engine.url.render_as_string(hide_password=False).replace("%", "%%")
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def stored_revision(engine: Engine) -> str | None:
    """The revision recorded in the database, read with one plain query (None if none)."""
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, revision: str = "head") -> None:
    if revision == "head" and stored_revision(engine) == HEAD:
        return
    from alembic import command

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
