"""Automatic encrypted backups (issue 21): the backup targets and the record of every backup
and restore drill.

Revision 0009, after 0008. Two new tables; no existing row changes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The targets and the runs."""
    op.create_table(
        "cadangan_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nama", sa.String(length=80), nullable=False),
        sa.Column("jenis", sa.String(length=10), nullable=False),
        sa.Column("lokasi", sa.String(length=500), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("aktif", sa.Boolean(), nullable=False),
        sa.Column("dibuat", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("nama"),
    )
    op.create_table(
        "cadangan_riwayat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jenis", sa.String(length=10), nullable=False),
        sa.Column("pemicu", sa.String(length=12), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("target_nama", sa.String(length=80), nullable=False),
        sa.Column("mulai", sa.DateTime(), nullable=False),
        sa.Column("selesai", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("generasi", sa.String(length=40), nullable=False),
        sa.Column("berkas_baru", sa.Integer(), nullable=False),
        sa.Column("byte_ditulis", sa.BigInteger(), nullable=False),
        sa.Column("pesan", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cadangan_riwayat_target_id", "cadangan_riwayat", ["target_id"])
    op.create_index("ix_cadangan_riwayat_mulai", "cadangan_riwayat", ["mulai"])


def downgrade() -> None:
    """Drop both tables (targets and the history are lost; backups on the targets stay)."""
    op.drop_index("ix_cadangan_riwayat_mulai", "cadangan_riwayat")
    op.drop_index("ix_cadangan_riwayat_target_id", "cadangan_riwayat")
    op.drop_table("cadangan_riwayat")
    op.drop_table("cadangan_target")
