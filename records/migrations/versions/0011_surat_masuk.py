"""Incoming letters (issue #18): the buku agenda (`surat_masuk`), dispositions
(`surat_disposisi`), their progress reports (`surat_disposisi_laporan`), the instruction list
(`instruksi_disposisi`), and the core's `record_reader` (who alone may read a restricted
record: a rahasia letter's scan and attachments). The agenda register and the default
instructions are seeded by `lemari init` (the plugin's `seed_office`), as on an existing
office after this upgrade.

Revision 0011, after 0010. Downgrade drops the five tables (letters, dispositions and
their history rows in `workflow_step` are lost with them; issued agenda numbers stay).
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_reader",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("principal", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["record.id"]),
        sa.PrimaryKeyConstraint("record_id", "principal"),
    )
    op.create_table(
        "instruksi_disposisi",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kode", sa.String(length=40), nullable=False),
        sa.Column("teks", sa.String(length=100), nullable=False),
        sa.Column("urutan", sa.Integer(), nullable=False),
        sa.Column("aktif", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kode"),
    )
    op.create_table(
        "surat_masuk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tahun", sa.Integer(), nullable=False),
        sa.Column("nomor_agenda", sa.Integer(), nullable=False),
        sa.Column("pengirim", sa.String(length=200), nullable=False),
        sa.Column("nomor_surat", sa.String(length=120), nullable=False),
        sa.Column("kunci_duplikat", sa.String(length=330), nullable=False),
        sa.Column("tanggal_surat", sa.Date(), nullable=False),
        sa.Column("perihal", sa.String(length=500), nullable=False),
        sa.Column("sifat", sa.String(length=16), nullable=False),
        sa.Column("skema_code", sa.String(length=40), nullable=False),
        sa.Column("klasifikasi", sa.String(length=40), nullable=False),
        sa.Column("lampiran", sa.String(length=100), nullable=False),
        sa.Column("tanggal_terima", sa.Date(), nullable=False),
        sa.Column("catatan", sa.Text(), nullable=False),
        sa.Column("duplikat_dari", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("balasan_record_id", sa.Integer(), nullable=True),
        sa.Column("dicatat_oleh", sa.String(length=64), nullable=False),
        sa.Column("dicatat_pada", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tahun", "nomor_agenda", name="uq_surat_masuk_agenda"),
        sa.ForeignKeyConstraint(["record_id"], ["record.id"]),
        sa.ForeignKeyConstraint(["balasan_record_id"], ["record.id"]),
    )
    op.create_index("ix_surat_masuk_kunci_duplikat", "surat_masuk", ["kunci_duplikat"])
    op.create_index("ix_surat_masuk_sifat", "surat_masuk", ["sifat"])
    op.create_index("ix_surat_masuk_state", "surat_masuk", ["state"])
    op.create_index("ix_surat_masuk_tanggal_terima", "surat_masuk", ["tanggal_terima"])
    op.create_table(
        "surat_disposisi",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("surat_id", sa.Integer(), nullable=False),
        sa.Column("induk_id", sa.Integer(), nullable=True),
        sa.Column("dari", sa.String(length=64), nullable=False),
        sa.Column("kepada_user", sa.String(length=64), nullable=True),
        sa.Column("kepada_role", sa.String(length=64), nullable=True),
        sa.Column("instruksi", sa.JSON(), nullable=False),
        sa.Column("catatan", sa.Text(), nullable=False),
        sa.Column("batas_waktu", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("dibuat_pada", sa.DateTime(), nullable=False),
        sa.Column("selesai_pada", sa.DateTime(), nullable=True),
        sa.Column("selesai_oleh", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["surat_id"], ["surat_masuk.id"]),
        sa.ForeignKeyConstraint(["induk_id"], ["surat_disposisi.id"]),
    )
    for column in ("surat_id", "kepada_user", "kepada_role", "batas_waktu", "state"):
        op.create_index(f"ix_surat_disposisi_{column}", "surat_disposisi", [column])
    op.create_table(
        "surat_disposisi_laporan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("disposisi_id", sa.Integer(), nullable=False),
        sa.Column("isi", sa.Text(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("oleh", sa.String(length=64), nullable=False),
        sa.Column("pada", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["disposisi_id"], ["surat_disposisi.id"]),
        sa.ForeignKeyConstraint(["record_id"], ["record.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_surat_disposisi_laporan_disposisi_id", "surat_disposisi_laporan",
                    ["disposisi_id"])


def downgrade() -> None:
    op.drop_table("surat_disposisi_laporan")
    op.drop_table("surat_disposisi")
    op.drop_table("surat_masuk")
    op.drop_table("instruksi_disposisi")
    op.drop_table("record_reader")
    op.execute("DELETE FROM workflow_step WHERE subject IN ('surat_masuk', 'disposisi')")
