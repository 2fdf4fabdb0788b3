"""Power cuts (records/daya): the UPS's last reading (one row) and one row per outage.

Revision 0012, after 0011. Two new tables; no existing row changes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The outage table first (the status row points at the outage in progress)."""
    op.create_table(
        "daya_padam",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ups", sa.String(length=64), nullable=False),
        sa.Column("mulai", sa.DateTime(), nullable=False),
        sa.Column("baterai_rendah", sa.DateTime(), nullable=True),
        sa.Column("selesai", sa.DateTime(), nullable=True),
        sa.Column("detik_baterai", sa.Integer(), nullable=True),
        sa.Column("muatan_terendah", sa.Integer(), nullable=True),
        sa.Column("dimatikan", sa.Boolean(), nullable=False),
        sa.Column("cadangan", sa.Text(), nullable=False),
        sa.Column("cadangan_galat", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_daya_padam_mulai", "daya_padam", ["mulai"])
    op.create_table(
        "daya_status",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ups", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.Column("terpantau", sa.Boolean(), nullable=False),
        sa.Column("galat", sa.String(length=255), nullable=False),
        sa.Column("muatan", sa.Integer(), nullable=True),
        sa.Column("sisa_detik", sa.Integer(), nullable=True),
        sa.Column("diperbarui", sa.DateTime(), nullable=True),
        sa.Column("padam_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["padam_id"], ["daya_padam.id"]),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    """Drop both tables (the record of past outages is lost)."""
    op.drop_table("daya_status")
    op.drop_index("ix_daya_padam_mulai", table_name="daya_padam")
    op.drop_table("daya_padam")
