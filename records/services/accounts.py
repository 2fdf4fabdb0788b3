"""Roles, permissions and accounts: declarations become Flask-AppBuilder roles.

`sync_roles` is idempotent: it creates every declared permission and grants it to the roles
that the declarations name, so re-running `lemari init` after adding a plugin is enough.
The security manager `sm` is passed in; this module does not import Flask.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from records.actor import Actor
from records.declarations import Registry
from records.exceptions import NotFoundError, ValidationError
from records.models import AccountSecurity, LocalRole, LoginThrottle, SessionEpoch
from records.services.audit import record_event

SELF_SERVICE = (("can_userinfo", "UserDBModelView"), ("resetmypassword", "UserDBModelView"),
                ("can_this_form_get", "ResetMyPasswordView"),
                ("can_this_form_post", "ResetMyPasswordView"))


def sync_roles(sm, registry: Registry, menu_permissions: Mapping[str, frozenset[str]]) -> None:
    """Create declared roles and grant each its permissions and the menus those open."""
    for role_def in registry.roles.values():
        role = sm.find_role(role_def.name) or sm.add_role(role_def.name)
        if role_def.name == sm.auth_role_admin:
            continue
        for pair in _pairs_for(role_def.name, registry, menu_permissions):
            sm.add_permission_role(role, sm.add_permission_view_menu(*pair))
    admin = sm.find_role(sm.auth_role_admin)
    for permission in registry.permissions.values():
        sm.add_permission_view_menu(*permission.fab_pair)
    for pvm in sm.session.query(sm.permissionview_model):
        sm.add_permission_role(admin, pvm)


def _pairs_for(role: str, registry: Registry,
               menu_permissions: Mapping[str, frozenset[str]]) -> Iterable[tuple[str, str]]:
    """FAB (permission, view-menu) pairs a role needs: its rights, its menus, self-service."""
    held = registry.permissions_of(role)
    yield from (registry.permissions[name].fab_pair for name in sorted(held))
    for menu, opening in menu_permissions.items():
        if opening & held:
            yield "menu_access", menu
    yield from SELF_SERVICE


def domain_permissions(fab_pairs: Iterable[tuple[str, str]], registry: Registry) -> frozenset[str]:
    """Translate FAB (permission, view-menu) pairs back to declared permission names."""
    by_pair = {p.fab_pair: p.name for p in registry.permissions.values()}
    return frozenset(by_pair[pair] for pair in fab_pairs if pair in by_pair)


def actor_for(user, *, sm, session: Session, registry: Registry) -> Actor:
    """Build the Actor for a FAB user: role names, permissions and desa scope."""
    roles = frozenset(role.name for role in user.roles)
    if sm.auth_role_admin in roles:
        permissions = frozenset(registry.permissions)
    else:
        permissions = domain_permissions(sm.get_user_permissions(user), registry)
    return Actor(user_id=user.id, username=user.username, roles=roles, permissions=permissions,
                 desa_scope=desa_scope(user.id, roles, session=session, registry=registry))


def desa_scope(user_id: int, roles: frozenset[str], *, session: Session,
               registry: Registry) -> frozenset[str] | None:
    """None (office-wide) if any role is unscoped; else the desa granted by local roles."""
    if any(not registry.roles[r].scoped for r in roles if r in registry.roles):
        return None
    rows = session.scalars(select(LocalRole.desa_code).where(LocalRole.user_id == user_id))
    return frozenset(rows)


def actor_for_username(username: str, *, sm, session: Session, registry: Registry) -> Actor:
    """The Actor for a CLI `--as USERNAME`; unknown or inactive users are refused."""
    user = sm.find_user(username=username)
    if user is None or not user.is_active:
        raise NotFoundError(f"Pengguna '{username}' tidak ditemukan atau tidak aktif.")
    return actor_for(user, sm=sm, session=session, registry=registry)


def ensure_user(sm, *, username: str, role: str, password: str, first_name: str,
                last_name: str = "", session: Session, desa_code: str | None = None,
                must_change_password: bool = False):
    """Create an account once (never resets an existing one), with its local role if scoped."""
    user = sm.find_user(username=username)
    if user is None:
        user = sm.add_user(username, first_name, last_name or first_name,
                           f"{username}@kotabangun.invalid", sm.find_role(role), password)
        if not user:
            raise ValidationError(f"Akun {username} gagal dibuat.")
        if must_change_password:
            security_state(session, user.id).must_change_password = True
            session.commit()
    if desa_code and not session.scalar(select(LocalRole).where(
            LocalRole.user_id == user.id, LocalRole.desa_code == desa_code)):
        session.add(LocalRole(user_id=user.id, role_name=role, desa_code=desa_code))
        session.commit()
    return user


# --- login state: throttling and forced password change -------------------------------------

@dataclass(frozen=True)
class LoginPolicy:
    """How failed logins are held back (LOGIN_* settings).

    Failures count per account *and* address: after `max_failures` in a row from one address,
    that address waits `backoff_seconds` before its next try for that account, twice as long
    after each further failure, at most `lock_minutes`. Other addresses are not held back, so
    nobody can lock a clerk out by guessing from elsewhere. Failures from every address
    together (`account_max_failures` since the last success) shut the account to addresses
    outside the office network only, for `lock_minutes`: a guessing botnet is stopped, the
    clerk at the office PC still gets in.
    """

    max_failures: int = 5
    backoff_seconds: int = 60
    lock_minutes: int = 15
    account_max_failures: int = 50

    def wait(self, failures: int) -> dt.timedelta:
        """How long an address waits after its `failures`-th failure in a row (0 before the
        threshold), doubling from `backoff_seconds` up to `lock_minutes`."""
        if failures < self.max_failures:
            return dt.timedelta(0)
        doublings = min(failures - self.max_failures, 30)
        seconds = min(self.backoff_seconds * 2 ** doublings, self.lock_minutes * 60)
        return dt.timedelta(seconds=seconds)


#: Throttle rows of addresses that stopped failing are forgotten after this long.
KEEP_THROTTLES = dt.timedelta(days=1)


def security_state(session: Session, user_id: int) -> AccountSecurity:
    """The account's login state row, created on first need. Created in a savepoint: two
    first logins of one account at once (two browsers, two main workers) both found no
    row, and the second INSERT failed on the key and answered 500; now it reads the row the
    other made."""
    state = session.get(AccountSecurity, user_id)
    if state is not None:
        return state
    try:
        with session.begin_nested():
            session.execute(insert(AccountSecurity).values(
                user_id=user_id, failed_logins=0, must_change_password=False))
    except IntegrityError:
        pass  # another login made it first
    return session.get_one(AccountSecurity, user_id)


def failure_throttle(session: Session, user_id: int, source: str, now: dt.datetime) -> LoginThrottle:
    """The address's throttle row for this account, created for its first failure in a
    savepoint, as `security_state` is: two failed logins from one address at once no longer
    fail the second on the (account, address) key."""
    try:
        with session.begin_nested():
            session.execute(insert(LoginThrottle).values(user_id=user_id, source=source,
                                                          failures=0, last_failure=now))
    except IntegrityError:
        pass  # the other attempt made it first
    return session.scalars(_throttle_of(user_id, source)).one()


def _throttle(session: Session, user_id: int, source: str) -> LoginThrottle | None:
    return session.scalar(_throttle_of(user_id, source))


def _throttle_of(user_id: int, source: str):
    return select(LoginThrottle).where(LoginThrottle.user_id == user_id, LoginThrottle.source == source)


def login_allowed(session: Session, user_id: int, source: str, now: dt.datetime, *,
                  office: bool) -> bool:
    """Whether a login of this account from this address (`source`, a keyed hash of it) may be
    tried now: not while the address waits, and from outside the office not while the
    account is shut to outsiders (naive UTC times)."""
    throttle = _throttle(session, user_id, source)
    if throttle is not None and throttle.locked_until and throttle.locked_until > now:
        return False
    if office:
        return True
    state = session.get(AccountSecurity, user_id)
    return not (state and state.locked_until and state.locked_until > now)


def note_login(session: Session, user, *, success: bool, now: dt.datetime, source: str,
               policy: LoginPolicy, channel: str) -> None:
    """Record a login attempt on an existing account from one address, with its audit entry
    in the same commit: a success clears that address's failures and the account's count; a
    failure may make the address wait, or shut the account to outsiders."""
    state = security_state(session, user.id)
    throttle = _throttle(session, user.id, source)
    session.execute(delete(LoginThrottle).where(
        LoginThrottle.last_failure < now - KEEP_THROTTLES,
        or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now)))
    if success:
        state.failed_logins, state.locked_until = 0, None
        if throttle is not None:
            session.delete(throttle)
        record_event(session, user.username, "login.success", object_type="user",
                     object_id=user.id, detail={"channel": channel})
        session.commit()
        return
    if throttle is None:
        throttle = failure_throttle(session, user.id, source, now)
    throttle.failures = (throttle.failures or 0) + 1
    throttle.last_failure = now
    wait = policy.wait(throttle.failures)
    throttle.locked_until = now + wait if wait else None
    state.failed_logins = (state.failed_logins or 0) + 1
    shut = state.failed_logins >= policy.account_max_failures
    if shut:
        state.locked_until = now + dt.timedelta(minutes=policy.lock_minutes)
    record_event(session, user.username, "login.locked" if wait or shut else "login.failure",
                 object_type="user", object_id=user.id,
                 detail={"channel": channel, "failures": throttle.failures,
                         "account_failures": state.failed_logins,
                         "wait_seconds": int(wait.total_seconds()), "outsiders_shut_out": shut})
    session.commit()


def note_unknown_login(session: Session, username: str, *, channel: str) -> None:
    """Audit a login attempt for an account that does not exist (name cut to 64 chars)."""
    record_event(session, "anonim", "login.failure", object_type="user",
                 detail={"channel": channel, "username": username[:64], "unknown": True})
    session.commit()


def note_locked_attempt(session: Session, user, *, channel: str) -> None:
    """Audit an attempt on a locked account (the password is not even checked)."""
    record_event(session, user.username, "login.refused_locked", object_type="user",
                 object_id=user.id, detail={"channel": channel})
    session.commit()


def must_change_password(session: Session, user_id: int) -> bool:
    """Whether the account must choose a new password before doing anything else."""
    state = session.get(AccountSecurity, user_id)
    return bool(state and state.must_change_password)


def password_set(session: Session, user, *, by: str, now: dt.datetime) -> None:
    """After a password change: an own change clears the duty to change, a reset by someone
    else (an Admin, who now knows it) imposes it. Audited, never with the password."""
    own = by == user.username
    state = security_state(session, user.id)
    state.must_change_password = not own
    state.failed_logins, state.locked_until = 0, None
    if own:
        state.password_changed_at = now
    record_event(session, by, "account.password_change" if own else "account.password_reset",
                 object_type="user", object_id=user.id, detail={"username": user.username})
    session.commit()


# --- session epochs: what ends every session and token of an account -----------------------

def session_epoch(session: Session, user_id: int) -> int:
    """The account's current epoch (0 until something first ended its sessions)."""
    row = _epoch_row(session, user_id)
    return row.epoch if row is not None else 0


def epoch_of(user_id: int):
    """`session_epoch` as a column to read with the user (NULL: 0)."""
    return select(SessionEpoch.epoch).where(SessionEpoch.user_id == user_id).scalar_subquery()


def must_change_of(user_id: int):
    """`must_change_password` as a column to read with the user (NULL: no)."""
    return select(AccountSecurity.must_change_password) \
        .where(AccountSecurity.user_id == user_id).scalar_subquery()


def end_sessions(session: Session, user_id: int) -> int:
    """Move the account's epoch in the caller's transaction (callable inside a flush): every
    session cookie and token made before is refused from the commit on. Returns the new one."""
    row = _epoch_row(session, user_id)
    if row is None:
        row = SessionEpoch(user_id=user_id, epoch=0)
        session.add(row)
    row.epoch = (row.epoch or 0) + 1
    return row.epoch


def _epoch_row(session: Session, user_id: int) -> SessionEpoch | None:
    pending = next((obj for obj in session.new
                    if isinstance(obj, SessionEpoch) and obj.user_id == user_id), None)
    return pending or session.get(SessionEpoch, user_id)
