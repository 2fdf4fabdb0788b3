"""Local roles: a role that holds only inside one desa (Plone's local roles)."""

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column


class LocalRole(Model):
    """Grants a scoped role (e.g. Operator Desa) to a user for one desa."""

    __tablename__ = "lemari_local_role"
    __table_args__ = (UniqueConstraint("user_id", "role_name", "desa_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), index=True)
    role_name: Mapped[str] = mapped_column(String(64))
    desa_code: Mapped[str] = mapped_column(ForeignKey("wilayah.code"))
