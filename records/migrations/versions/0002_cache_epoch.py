"""Cache epochs: a counter per in-process cache (first: role permissions), so that every
server process drops its cached answers when an Admin changes a role.

Revision 0002, after 0001.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The table, with the permissions counter at 0."""
    table = op.create_table(
        "lemari_cache_epoch",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(table, [{"name": "permissions", "value": 0}])


def downgrade() -> None:
    """Drop the table; processes then read permissions from the database every time."""
    op.drop_table("lemari_cache_epoch")
