"""Alembic's environment for Lemari: always online, on the connection that
records.services.schema hands in (Lemari runs its migrations itself; there is no alembic.ini).

Batch mode is rendered for every table change, since SQLite alters a table by copying it; on
PostgreSQL the same script runs plain ALTER statements.
"""

from alembic import context

from records.services.schema import COMPARE_OPTIONS, include_name, model_metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Jalankan migrasi lewat `lemari db …` atau `lemari init`, bukan `alembic`.")

context.configure(connection=connection, target_metadata=model_metadata(),
                  include_name=include_name, **COMPARE_OPTIONS)
with context.begin_transaction():
    context.run_migrations()
