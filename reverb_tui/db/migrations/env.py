"""Alembic environment: always run programmatically by ``reverb_tui.db.migrate``."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from reverb_tui.db import models  # noqa: F401  (registers the tables)

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # pragma: no cover - only via `alembic` by hand
        from sqlalchemy import create_engine

        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("Set sqlalchemy.url in alembic.ini to run migrations by hand.")
        engine = create_engine(url)
        with engine.connect() as conn:
            _run(conn)
        return
    _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copes
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
