"""The gratification register (register gratifikasi) of the Unit Pengendalian Gratifikasi.

Revision 0013, after 0012. One new table, `gratifikasi`; its review steps are rows
of the one workflow history (`workflow_step`, subject "gratifikasi"), so no history table is
added. Downgrade drops the table (the declarations are lost; their workflow steps and audit
entries stay).
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gratifikasi",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kode", sa.String(length=20), nullable=True),
        sa.Column("pelapor", sa.String(length=64), nullable=False),
        sa.Column("uraian", sa.Text(), nullable=False),
        sa.Column("pemberi", sa.String(length=100), nullable=False),
        sa.Column("hubungan", sa.String(length=100), nullable=False),
        sa.Column("nilai", sa.BigInteger(), nullable=False),
        sa.Column("tanggal_pemberian", sa.Date(), nullable=False),
        sa.Column("tempat", sa.String(length=150), nullable=False),
        sa.Column("sikap", sa.String(length=10), nullable=False),
        sa.Column("layanan_code", sa.String(length=40), nullable=True),
        sa.Column("kode_lacak", sa.String(length=16), nullable=False),
        sa.Column("tanggal_lapor", sa.Date(), nullable=False),
        sa.Column("dilaporkan_at", sa.DateTime(), nullable=False),
        sa.Column("batas_lapor", sa.Date(), nullable=False),
        sa.Column("terlambat", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("catatan_telaah", sa.Text(), nullable=False),
        sa.Column("ditelaah_oleh", sa.String(length=64), nullable=False),
        sa.Column("selesai_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kode"),
        sa.ForeignKeyConstraint(["layanan_code"], ["layanan.code"]),
    )
    op.create_index("ix_gratifikasi_pelapor", "gratifikasi", ["pelapor"])
    op.create_index("ix_gratifikasi_tanggal_pemberian", "gratifikasi", ["tanggal_pemberian"])
    op.create_index("ix_gratifikasi_tanggal_lapor", "gratifikasi", ["tanggal_lapor"])
    op.create_index("ix_gratifikasi_state", "gratifikasi", ["state"])


def downgrade() -> None:
    for column in ("state", "tanggal_lapor", "tanggal_pemberian", "pelapor"):
        op.drop_index(f"ix_gratifikasi_{column}", "gratifikasi")
    op.drop_table("gratifikasi")
