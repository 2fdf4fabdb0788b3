"""Moving in (issue 22): a register continued from its paper book in the middle of a year.

Revision 0010, after 0009. One new table, `nomor_lanjutan` (register, year, the last
number used on paper, who recorded it and when); no existing row changes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The switch-over row per register and year."""
    op.create_table(
        "nomor_lanjutan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("register_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("nomor_terakhir", sa.Integer(), nullable=False),
        sa.Column("nomor_terakhir_teks", sa.String(length=120), nullable=False),
        sa.Column("keterangan", sa.Text(), nullable=False),
        sa.Column("dicatat_oleh", sa.String(length=64), nullable=False),
        sa.Column("dicatat_pada", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("register_id", "year"),
        sa.ForeignKeyConstraint(["register_id"], ["register.id"]),
    )
    op.create_index("ix_nomor_lanjutan_register_id", "nomor_lanjutan", ["register_id"])


def downgrade() -> None:
    """Drop the table (the switch-over records are lost; issued numbers stay)."""
    op.drop_index("ix_nomor_lanjutan_register_id", "nomor_lanjutan")
    op.drop_table("nomor_lanjutan")
