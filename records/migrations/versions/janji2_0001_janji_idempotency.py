"""Appointments over REST (issue 20): a booking remembers the `Idempotency-Key` of the call
that made it, so a retried POST returns the first booking instead of a second-booking refusal.

After 0016. One nullable column and its unique index on `antrian_janji`; existing rows keep
NULL (NULLs never clash). Downgrade drops both.
"""

import sqlalchemy as sa
from alembic import op

revision = "janji2_0001"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The key column and the index that lets only one booking hold a key."""
    with op.batch_alter_table("antrian_janji") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(length=80), nullable=True))
    op.create_index("ix_antrian_janji_idempotency_key", "antrian_janji", ["idempotency_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_antrian_janji_idempotency_key", table_name="antrian_janji")
    with op.batch_alter_table("antrian_janji") as batch:
        batch.drop_column("idempotency_key")
