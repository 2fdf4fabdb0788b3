"""Idempotency keys of record-creating forms and REST calls (issue 14): one row per key used,
with the record its first use made; the primary key makes a second use fail in the database.

Revision 0014, after 0013. One new table; no existing row changes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The key table."""
    op.create_table(
        "idempotency_key",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["record.id"]),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_idempotency_key_record_id", "idempotency_key", ["record_id"])


def downgrade() -> None:
    """Drop the table (a resubmitted old form could then create a second record)."""
    op.drop_index("ix_idempotency_key_record_id", "idempotency_key")
    op.drop_table("idempotency_key")
