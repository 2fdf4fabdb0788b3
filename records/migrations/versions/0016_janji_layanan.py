"""Appointments (jadwal layanan, issue 20): the slots of each service, the places taken per
slot and day, and the bookings (a checked-in booking names its ticket, `tiket_id`).

Revision 0016, after 0015. Three new tables; no existing table or row changes. Downgrade drops
them (bookings are lost; their audit entries stay).
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The slot, fill and booking tables."""
    op.create_table(
        "antrian_jadwal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("layanan_code", sa.String(length=40), nullable=False),
        sa.Column("jam_mulai", sa.Time(), nullable=False),
        sa.Column("jam_selesai", sa.Time(), nullable=False),
        sa.Column("kuota", sa.Integer(), nullable=False),
        sa.Column("khusus", sa.Boolean(), nullable=False),
        sa.Column("hari", sa.String(length=13), nullable=False),
        sa.Column("tenggang_menit", sa.Integer(), nullable=False),
        sa.Column("aktif", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["layanan_code"], ["layanan.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_antrian_jadwal_layanan_code", "antrian_jadwal", ["layanan_code"])
    op.create_table(
        "antrian_jadwal_isi",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jadwal_id", sa.Integer(), nullable=False),
        sa.Column("tanggal", sa.Date(), nullable=False),
        sa.Column("terisi", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("jadwal_id", "tanggal"),
        sa.ForeignKeyConstraint(["jadwal_id"], ["antrian_jadwal.id"]),
    )
    op.create_table(
        "antrian_janji",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kode", sa.String(length=16), nullable=False),
        sa.Column("jadwal_id", sa.Integer(), nullable=False),
        sa.Column("layanan_code", sa.String(length=40), nullable=False),
        sa.Column("tanggal", sa.Date(), nullable=False),
        sa.Column("jam_mulai", sa.Time(), nullable=False),
        sa.Column("jam_selesai", sa.Time(), nullable=False),
        sa.Column("mulai_at", sa.DateTime(), nullable=False),
        sa.Column("alasan_prioritas", sa.String(length=20), nullable=False),
        sa.Column("nik", sa.String(length=16), nullable=False),
        sa.Column("nik_aktif", sa.String(length=16), nullable=True),
        sa.Column("nama", sa.String(length=100), nullable=False),
        sa.Column("telepon", sa.String(length=20), nullable=False),
        sa.Column("desa_code", sa.String(length=13), nullable=True),
        sa.Column("penduduk_id", sa.Integer(), nullable=True),
        sa.Column("sumber", sa.String(length=12), nullable=False),
        sa.Column("dibuat_oleh", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("tiket_id", sa.Integer(), nullable=True),
        sa.Column("selesai_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("layanan_code", "tanggal", "nik_aktif"),
        sa.UniqueConstraint("kode"),
        sa.ForeignKeyConstraint(["jadwal_id"], ["antrian_jadwal.id"]),
        sa.ForeignKeyConstraint(["layanan_code"], ["layanan.code"]),
        sa.ForeignKeyConstraint(["penduduk_id"], ["penduduk.id"]),
        sa.UniqueConstraint("tiket_id"),
        sa.ForeignKeyConstraint(["tiket_id"], ["antrian_tiket.id"]),
    )
    op.create_index("ix_antrian_janji_hari", "antrian_janji", ["tanggal", "status"])
    op.create_index("ix_antrian_janji_desa_code", "antrian_janji", ["desa_code"])


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_index("ix_antrian_janji_desa_code", "antrian_janji")
    op.drop_index("ix_antrian_janji_hari", "antrian_janji")
    op.drop_table("antrian_janji")
    op.drop_table("antrian_jadwal_isi")
    op.drop_index("ix_antrian_jadwal_layanan_code", "antrian_jadwal")
    op.drop_table("antrian_jadwal")
