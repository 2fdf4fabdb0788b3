"""Session epochs and login throttles: a counter per account that ends every session and token
made before a password change, logout, deactivation or role change; failed logins counted per
account and address (a keyed hash of it), so an outsider cannot lock a clerk out.

Revision 0003, after 0002.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Two new tables; no existing row changes (every account starts at epoch 0)."""
    op.create_table(
        "lemari_login_throttle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("last_failure", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "source"),
        sa.ForeignKeyConstraint(["user_id"], ["ab_user.id"], ondelete="CASCADE"),
    )
    op.create_table(
        "lemari_session_epoch",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["ab_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    """Drop both tables: sessions then live until their idle timeout, lockout is per account."""
    op.drop_table("lemari_session_epoch")
    op.drop_table("lemari_login_throttle")
