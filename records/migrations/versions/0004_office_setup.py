"""Office setup and signatories roster (issue 14, branch h14setup): the office's own settings
(names, contacts, logo, public address, time zone, paper) as key/value rows, and the periods
in which an account signs as Camat, Sekcam (a.n.), Plt. or Plh. Camat.

Revision 0004, after 0003.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Two new tables; nothing existing changes (an office without rows keeps its config)."""
    op.create_table(
        "pengaturan_kantor",
        sa.Column("kunci", sa.String(length=40), nullable=False),
        sa.Column("nilai", sa.Text(), nullable=False),
        sa.Column("berkas", sa.String(length=80), nullable=False),
        sa.Column("diubah_oleh", sa.String(length=64), nullable=False),
        sa.Column("diubah_pada", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kunci"),
    )
    op.create_table(
        "masa_jabatan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kedudukan", sa.String(length=16), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("nama", sa.String(length=120), nullable=False),
        sa.Column("nip", sa.String(length=18), nullable=False),
        sa.Column("pangkat", sa.String(length=60), nullable=False),
        sa.Column("golongan", sa.String(length=10), nullable=False),
        sa.Column("mulai", sa.Date(), nullable=False),
        sa.Column("selesai", sa.Date(), nullable=True),
        sa.Column("dasar", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["username"], ["ab_user.username"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    """Drop both tables: the office falls back to config.py / LEMARI_* values and to the
    `pejabat` signature data."""
    op.drop_table("masa_jabatan")
    op.drop_table("pengaturan_kantor")
