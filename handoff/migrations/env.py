"""Alembic environment of the handoff tables.

`CaseStore.create_schema()` passes its own open connection (config.attributes["connection"]); the
`alembic -c handoff/alembic.ini ...` command line connects to DATABASE_URL itself.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context

from handoff.models import Base

# Our own version table: the shop's other components may keep Alembic histories in the same database.
VERSION_TABLE = "handoff_alembic_version"


def _configure(**kwargs: Any) -> None:
    context.configure(target_metadata=Base.metadata, version_table=VERSION_TABLE, compare_type=True, **kwargs)


def _online(connection: sa.engine.Connection) -> None:
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = context.config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from core.settings import load

    return load().database_url


def main() -> None:
    if context.is_offline_mode():
        _configure(url=_url(), literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _online(connection)
        return
    engine = sa.create_engine(_url(), future=True)
    with engine.begin() as own:
        _online(own)
    engine.dispose()


main()
