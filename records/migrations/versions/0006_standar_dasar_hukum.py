"""Service standards carry the basis of their time and their legal statements: two columns on
standar_pelayanan (`dasar_waktu`, `ketentuan`). Requirements and steps keep living in their JSON
columns, now as items with `dasar_hukum` (no column change); `lemari standar-nasional` rewrites
an existing office's stored standards as new versions.

Revision 0006, after 0005.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


COLUMNS = ("id", "layanan_code", "versi", "nama", "kelompok", "ringkasan", "persyaratan", "prosedur",
           "waktu_hari", "biaya", "dasar_biaya", "produk", "pengaduan", "sarana", "kompetensi",
           "dasar_hukum", "pengawasan", "jumlah_pelaksana", "jaminan_pelayanan", "jaminan_keamanan",
           "evaluasi", "keputusan", "catatan", "created_at", "created_by")


def upgrade() -> None:
    """Add both columns, filled for existing versions ('' and an empty list).

    On SQLite the table is rebuilt by hand (not with batch mode) so its stored DDL is exactly
    the one a fresh database gets; on PostgreSQL the temporary defaults are dropped.
    """
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite()
        return
    op.add_column("standar_pelayanan", sa.Column("dasar_waktu", sa.Text(), nullable=False,
                                                 server_default=""))
    op.add_column("standar_pelayanan", sa.Column("ketentuan", sa.JSON(), nullable=False,
                                                 server_default="[]"))
    op.alter_column("standar_pelayanan", "dasar_waktu", server_default=None)
    op.alter_column("standar_pelayanan", "ketentuan", server_default=None)


def _rebuild_sqlite() -> None:
    """New table with the two columns last, rows copied, old table and its index dropped."""
    op.rename_table("standar_pelayanan", "_standar_pelayanan_0003")
    op.create_table(
        "standar_pelayanan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("layanan_code", sa.String(length=40), nullable=False),
        sa.Column("versi", sa.Integer(), nullable=False),
        sa.Column("nama", sa.String(length=120), nullable=False),
        sa.Column("kelompok", sa.String(length=60), nullable=False),
        sa.Column("ringkasan", sa.Text(), nullable=False),
        sa.Column("persyaratan", sa.JSON(), nullable=False),
        sa.Column("prosedur", sa.JSON(), nullable=False),
        sa.Column("waktu_hari", sa.Integer(), nullable=False),
        sa.Column("biaya", sa.Integer(), nullable=False),
        sa.Column("dasar_biaya", sa.Text(), nullable=False),
        sa.Column("produk", sa.String(length=200), nullable=False),
        sa.Column("pengaduan", sa.Text(), nullable=False),
        sa.Column("sarana", sa.JSON(), nullable=False),
        sa.Column("kompetensi", sa.JSON(), nullable=False),
        sa.Column("dasar_hukum", sa.Text(), nullable=False),
        sa.Column("pengawasan", sa.Text(), nullable=False),
        sa.Column("jumlah_pelaksana", sa.String(length=200), nullable=False),
        sa.Column("jaminan_pelayanan", sa.Text(), nullable=False),
        sa.Column("jaminan_keamanan", sa.Text(), nullable=False),
        sa.Column("evaluasi", sa.Text(), nullable=False),
        sa.Column("keputusan", sa.String(length=200), nullable=False),
        sa.Column("catatan", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("dasar_waktu", sa.Text(), nullable=False),
        sa.Column("ketentuan", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("layanan_code", "versi"),
        sa.ForeignKeyConstraint(["layanan_code"], ["layanan.code"]),
    )
    names = ", ".join(COLUMNS)
    op.execute(f"INSERT INTO standar_pelayanan ({names}, dasar_waktu, ketentuan) "
               f"SELECT {names}, '', '[]' FROM _standar_pelayanan_0003")
    op.drop_table("_standar_pelayanan_0003")
    op.create_index("ix_standar_pelayanan_layanan_code", "standar_pelayanan", ["layanan_code"])


def downgrade() -> None:
    """Drop both columns (the versions' requirements keep their JSON items)."""
    with op.batch_alter_table("standar_pelayanan") as batch:
        batch.drop_column("ketentuan")
        batch.drop_column("dasar_waktu")
