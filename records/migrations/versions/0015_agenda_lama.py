"""Moving in (issue 22, item 3): the lines of old, hand-kept agenda books (surat masuk and
surat keluar) imported with their original numbers.

Revision 0015, after 0014. One new table, `agenda_lama`; no
existing row changes. An imported incoming line is also a `surat_masuk` row (linked here);
an outgoing line lives only here, so no number register is touched.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The imported agenda lines."""
    op.create_table(
        "agenda_lama",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jenis", sa.String(length=8), nullable=False),
        sa.Column("tahun", sa.Integer(), nullable=False),
        sa.Column("kunci", sa.String(length=160), nullable=False),
        sa.Column("nomor_agenda", sa.Integer(), nullable=True),
        sa.Column("nomor_surat", sa.String(length=120), nullable=False),
        sa.Column("tanggal", sa.Date(), nullable=False),
        sa.Column("tanggal_surat", sa.Date(), nullable=False),
        sa.Column("pihak", sa.String(length=200), nullable=False),
        sa.Column("perihal", sa.String(length=500), nullable=False),
        sa.Column("klasifikasi", sa.String(length=40), nullable=False),
        sa.Column("keterangan", sa.Text(), nullable=False),
        sa.Column("surat_masuk_id", sa.Integer(), nullable=True),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("berkas", sa.String(length=200), nullable=False),
        sa.Column("baris", sa.Integer(), nullable=False),
        sa.Column("diimpor_oleh", sa.String(length=64), nullable=False),
        sa.Column("diimpor_pada", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("jenis", "tahun", "kunci", name="uq_agenda_lama_kunci"),
        # in the order `create_all` writes them, so SQLite stores the same DDL
        sa.UniqueConstraint("surat_masuk_id"),
        sa.ForeignKeyConstraint(["surat_masuk_id"], ["surat_masuk.id"]),
        sa.UniqueConstraint("record_id"),
        sa.ForeignKeyConstraint(["record_id"], ["record.id"]),
    )
    op.create_index("ix_agenda_lama_tahun", "agenda_lama", ["tahun"])
    op.create_index("ix_agenda_lama_tanggal", "agenda_lama", ["tanggal"])


def downgrade() -> None:
    """Drop the table (the imported lines' surat_masuk rows and search records stay)."""
    op.drop_index("ix_agenda_lama_tanggal", "agenda_lama")
    op.drop_index("ix_agenda_lama_tahun", "agenda_lama")
    op.drop_table("agenda_lama")
