"""One workflow history: record_transition, pengaduan_langkah and publikasi_langkah become rows
of `workflow_step`, each naming its subject ("record", "pengaduan", "publikasi") and the
subject's id.

Revision 0008, after 0007. Every step is copied, in its original order within each subject,
with its transition, states, actor, time and note unchanged; then the three old tables are
dropped. Downgrade copies the steps back into the three tables (new ids, same order) and drops
`workflow_step`; steps of any other subject (a plugin's) are lost on downgrade.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

#: old table → (subject, the old table's column naming the subject's row, that row's table)
OLD = {"record_transition": ("record", "record_id", "record"),
       "pengaduan_langkah": ("pengaduan", "pengaduan_id", "pengaduan"),
       "publikasi_langkah": ("publikasi", "publikasi_id", "publikasi")}
COLUMNS = "transition, from_state, to_state, actor, at, note"


def upgrade() -> None:
    """Create the one table, copy each old table's steps in order, drop the old tables."""
    op.create_table(
        "workflow_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("transition", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_workflow_step_subject", "workflow_step", ["subject", "subject_id", "id"])
    for table, (subject, column, _) in OLD.items():
        op.execute(f"INSERT INTO workflow_step (subject, subject_id, {COLUMNS}) "
                   f"SELECT '{subject}', {column}, {COLUMNS} FROM {table} ORDER BY id")
        op.drop_index(f"ix_{table}_{column}", table)
        op.drop_table(table)


def downgrade() -> None:
    """Recreate the three tables as the baseline built them and copy their steps back."""
    for table, (subject, column, owner) in OLD.items():
        width = 16 if table == "pengaduan_langkah" else 32
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column(column, sa.Integer(), nullable=False),
            sa.Column("transition", sa.String(length=32), nullable=False),
            sa.Column("from_state", sa.String(length=width), nullable=True),
            sa.Column("to_state", sa.String(length=width), nullable=False),
            sa.Column("actor", sa.String(length=64), nullable=False),
            sa.Column("at", sa.DateTime(), nullable=False),
            sa.Column("note", sa.Text(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.ForeignKeyConstraint([column], [f"{owner}.id"]),
        )
        op.create_index(f"ix_{table}_{column}", table, [column])
        op.execute(f"INSERT INTO {table} ({column}, {COLUMNS}) SELECT subject_id, {COLUMNS} "
                   f"FROM workflow_step WHERE subject = '{subject}' ORDER BY id")
    op.drop_index("ix_workflow_step_subject", "workflow_step")
    op.drop_table("workflow_step")
