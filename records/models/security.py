"""Local roles (a role that holds only inside one desa, Plone's local roles), login state, session
epochs and login throttles."""

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column


class LocalRole(Model):
    """Grants a scoped role (e.g. Operator Desa) to a user for one desa."""

    __tablename__ = "lemari_local_role"
    __table_args__ = (UniqueConstraint("user_id", "role_name", "desa_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), index=True)
    role_name: Mapped[str] = mapped_column(String(64))
    desa_code: Mapped[str] = mapped_column(ForeignKey("wilayah.code"))


class AccountSecurity(Model):
    """Login state Flask-AppBuilder does not keep: lockout after repeated failures and the
    duty to choose a new password (demo and initial accounts, passwords reset by an Admin)."""

    __tablename__ = "lemari_account_security"

    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"),
                                         primary_key=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class SessionEpoch(Model):
    """A counter per account that moves on a password change, a logout, a deactivation or a
    role change. Every session cookie and JWT carries the value it was made under and is
    refused once the account's counter differs (no row: 0)."""

    __tablename__ = "lemari_session_epoch"

    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"),
                                         primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, default=0)


class LoginThrottle(Model):
    """Failed logins of one account from one address (a keyed hash of it, never the address):
    after LOGIN_MAX_FAILURES that pair waits, twice as long after each further failure. Other
    addresses are not held back, so an outsider cannot lock a clerk out of the office."""

    __tablename__ = "lemari_login_throttle"
    __table_args__ = (UniqueConstraint("user_id", "source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    last_failure: Mapped[dt.datetime] = mapped_column(DateTime)


class CacheEpoch(Model):
    """A counter per cache kept in each server process (e.g. "permissions"): a change that
    makes the cached answers wrong increments it in its own transaction, and every process
    drops its copy when it sees a new value."""

    __tablename__ = "lemari_cache_epoch"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class PublicHit(Model):
    """One accepted public submission: scope (pengaduan, kiosk…), a keyed hash of the
    address (never the address itself) and the time; counted by the rate limits."""

    __tablename__ = "public_hit"
    __table_args__ = (Index("ix_public_hit_lookup", "scope", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
