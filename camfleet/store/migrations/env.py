"""Alembic environment for camfleet's store.

camfleet runs Alembic programmatically (:meth:`camfleet.store.database.Database.upgrade`): the
caller opens the connection and passes it in ``config.attributes["connection"]``, so no
``alembic.ini`` is needed on the user's disk.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from camfleet.store.database import VERSION_TABLE
from camfleet.store.schema import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "camfleet migrations run through `camfleet db upgrade`, which passes a connection"
        )
    _run(connection)


_main()
