"""Appointments over REST (issue 20): a booking remembers the `Idempotency-Key` of the call
that made it, so a retried POST returns the first booking instead of a second-booking refusal.

Revision 0017, after 0016. One nullable column (last) and its unique index on `antrian_janji`; existing rows
keep NULL (NULLs never clash). On SQLite the table is rebuilt by hand (as in 0006) so its
stored DDL is exactly the one a fresh database gets. Downgrade drops the column and index.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

OLD = "_antrian_janji_0017"
INDEXES = (("ix_antrian_janji_hari", ["tanggal", "status"]), ("ix_antrian_janji_desa_code", ["desa_code"]))


def upgrade() -> None:
    """The key column and the index that lets only one booking hold a key."""
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(with_key=True)
    else:
        op.add_column("antrian_janji", sa.Column("idempotency_key", sa.String(length=80), nullable=True))
    op.create_index("ix_antrian_janji_idempotency_key", "antrian_janji", ["idempotency_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_antrian_janji_idempotency_key", table_name="antrian_janji")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(with_key=False)
    else:
        op.drop_column("antrian_janji", "idempotency_key")


def _columns() -> list[sa.Column]:
    return [
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
    ]


def _rebuild_sqlite(*, with_key: bool) -> None:
    """The table as 0016 made it, with or without the key column last; rows copied."""
    columns = _columns()
    names = ", ".join(c.name for c in columns)
    if with_key:
        columns.append(sa.Column("idempotency_key", sa.String(length=80), nullable=True))
    op.rename_table("antrian_janji", OLD)
    for name, _ in INDEXES:
        op.drop_index(name, table_name=OLD)
    op.create_table(
        "antrian_janji",
        *columns,
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("layanan_code", "tanggal", "nik_aktif"),
        sa.UniqueConstraint("kode"),
        sa.ForeignKeyConstraint(["jadwal_id"], ["antrian_jadwal.id"]),
        sa.ForeignKeyConstraint(["layanan_code"], ["layanan.code"]),
        sa.ForeignKeyConstraint(["penduduk_id"], ["penduduk.id"]),
        sa.UniqueConstraint("tiket_id"),
        sa.ForeignKeyConstraint(["tiket_id"], ["antrian_tiket.id"]),
    )
    op.execute(f"INSERT INTO antrian_janji ({names}) SELECT {names} FROM {OLD}")
    op.drop_table(OLD)
    for name, columns_of in INDEXES:
        op.create_index(name, "antrian_janji", columns_of)
