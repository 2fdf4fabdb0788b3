"""Archive destruction per PP 28/2012: the panitia penilai arsip and the witnesses of a disposal
batch (one table of named people), and one row per batch with the panitia's written assessment
and the dates of the Bupati's and the Kepala ANRI's written approvals (their numbers already
had columns on arsip_penyusutan, which is left as it was).

Revision 0007, after 0006. Two new tables; no existing row changes (a
batch executed before has no panitia or witnesses recorded and is not re-checked).
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The requirements row per batch and the people of a batch."""
    op.create_table(
        "arsip_penyusutan_syarat",
        sa.Column("penyusutan_id", sa.Integer(), nullable=False),
        sa.Column("penilaian_panitia", sa.Text(), nullable=False),
        sa.Column("penilaian_tanggal", sa.Date(), nullable=True),
        sa.Column("penilaian_oleh", sa.String(length=64), nullable=False),
        sa.Column("persetujuan_kepala_daerah_tanggal", sa.Date(), nullable=True),
        sa.Column("persetujuan_anri_tanggal", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["penyusutan_id"], ["arsip_penyusutan.id"]),
        sa.PrimaryKeyConstraint("penyusutan_id"),
    )
    op.create_table(
        "arsip_penyusutan_pihak",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("penyusutan_id", sa.Integer(), nullable=False),
        sa.Column("peran", sa.String(length=16), nullable=False),
        sa.Column("unsur", sa.String(length=40), nullable=False),
        sa.Column("urutan", sa.Integer(), nullable=False),
        sa.Column("nama", sa.String(length=120), nullable=False),
        sa.Column("nip", sa.String(length=18), nullable=False),
        sa.Column("jabatan", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["penyusutan_id"], ["arsip_penyusutan.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_arsip_penyusutan_pihak_penyusutan_id", "arsip_penyusutan_pihak",
                    ["penyusutan_id"])


def downgrade() -> None:
    """Drop both tables (the panitia, witnesses, assessment and approval dates are lost)."""
    op.drop_index("ix_arsip_penyusutan_pihak_penyusutan_id", "arsip_penyusutan_pihak")
    op.drop_table("arsip_penyusutan_pihak")
    op.drop_table("arsip_penyusutan_syarat")
