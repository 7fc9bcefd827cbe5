"""Users, login sessions and API tokens."""
from __future__ import annotations

import hashlib
import os
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from sqlalchemy import delete, func, select, update

from backend.auth import password_policy
from backend.auth.permissions import ROLE_PERMISSIONS, ROLES
from backend.context import current_actor
from backend.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    ValidationFailed,
    check_version,
)
from backend.extensions import db
from backend.models.base import utcnow
from backend.models.users import ApiToken, User, UserSession, warehouse_ids_column
from backend.models.warehouses import Warehouse
from backend.services import crud
from backend.services.uow import command, transaction

# argon2id with the library's recommended parameters; the test suite opts into cheap ones (still argon2id).
_hasher = (PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
           if os.environ.get("JXC_FAST_PASSWORD_HASH") == "1" else PasswordHasher())
_DUMMY_HASH = _hasher.hash("timing-equaliser")
MIN_PASSWORD = password_policy.MIN_LENGTH
TOKEN_PREFIX = "jxc_"


def sha256(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


def hash_password(password: str, username: str | None = None) -> str:
    """Hash a new password after checking the policy (length; common passwords, the username)."""
    _check_password(password, username)
    return _hasher.hash(password)


def _check_password(password: str, username: str | None = None) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise ValidationFailed("Password too short.", zh=f"密码太短，至少 {MIN_PASSWORD} 个字符。",
                               errors={"password": [f"At least {MIN_PASSWORD} characters."]})
    if has_app_context() and not current_app.config.get("PASSWORD_REJECT_COMMON", True):
        return
    reasons = password_policy.problems(password, username)
    if reasons:
        raise ValidationFailed("This password is too easy to guess (a very common password or the username); "
                               "choose another.", zh="密码太容易被猜到（属于最常见的密码或与用户名相同），请换一个。",
                               code="weak_password", errors={"password": reasons})


def verify_password(user: User | None, password: str) -> bool:
    try:
        ok = _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return bool(ok and user)


def _check_roles(roles) -> list[str]:
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise ValidationFailed("Unknown or missing roles.", errors={"roles": [f"Choose from {', '.join(ROLES)}."]})
    return sorted(set(roles))


def _set_warehouses(user: User, warehouse_ids) -> None:
    ids = set(warehouse_ids or [])
    found = db.session.scalars(select(Warehouse).where(Warehouse.id.in_(ids))).all() if ids else []
    missing = ids - {w.id for w in found}
    if missing:
        raise ValidationFailed("Unknown warehouses.", errors={"warehouse_ids": sorted(missing)})
    user.warehouses = list(found)


@command
def create_user(username: str, password: str, roles, *, display_name: str = "", email=None,
                warehouse_ids=None, locale: str = "zh-CN") -> User:
    """Create a user with an argon2id password hash."""
    username = username.strip()
    if db.session.scalar(select(User).where(func.lower(User.username) == username.lower())):
        raise Conflict("Username already taken.", code="duplicate", errors={"username": ["Already exists."]})
    user = User(username=username, display_name=display_name or username, email=email,
                password_hash=hash_password(password, username), roles=_check_roles(roles), locale=locale)
    db.session.add(user)
    _set_warehouses(user, warehouse_ids)
    db.session.flush()
    return user


def list_users(q: str | None, sort: str | None, page: int, per_page: int, user=None) -> dict:
    """One page of users; ``q`` searches username and display name."""
    stmt = crud.search(select(User), User, q, ("username", "display_name"))
    stmt = crud.sort(stmt, User, sort, ("id", "username", "display_name"), user=user)
    return crud.paginate(stmt, page, per_page)


def roles() -> list[dict]:
    """Every role with its permissions (sorted)."""
    return [{"name": r, "permissions": sorted(p)} for r, p in ROLE_PERMISSIONS.items()]


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("User not found.")
    return user


@command
def update_user(user_id: int, version: int, changes: dict, *, acting_user: User) -> User:
    """Admin edit of a user; a password reset or deactivation ends all of the user's sessions and tokens.

    The returned user carries ``sessions_ended`` and ``tokens_revoked`` (counts, for the answer)."""
    user = get_user(user_id)
    check_version(user, version)
    ended = revoked = 0
    if "roles" in changes:
        roles = _check_roles(changes.pop("roles"))
        if user.id == acting_user.id and "admin" not in roles:
            raise Conflict("You cannot remove your own admin role.")
        user.roles = roles
    if "warehouse_ids" in changes:
        _set_warehouses(user, changes.pop("warehouse_ids"))
    if "password" in changes:
        user.password_hash = hash_password(changes.pop("password"), user.username)
        # Whoever knew the old password may have made tokens with it: a reset ends them too.
        ended += _end_sessions(user.id)
        revoked += _revoke_tokens(user.id)
    if "is_active" in changes:
        active = bool(changes.pop("is_active"))
        if not active and user.id == acting_user.id:
            raise Conflict("You cannot deactivate yourself.")
        if not active:
            ended += _end_sessions(user.id)
            revoked += _revoke_tokens(user.id)
        user.is_active = active
    for k in ("display_name", "email", "locale"):
        if k in changes:
            setattr(user, k, changes.pop(k))
    db.session.flush()
    user.sessions_ended, user.tokens_revoked = ended, revoked  # not columns: for this answer only
    return user


@command
def change_password(user: User, old: str, new: str, keep_session_hash: str | None) -> dict:
    """Change own password; every other session and every API token of the user ends (a token or session
    an intruder made with the old password must not survive the change). Returns the counts."""
    if not verify_password(user, old):
        raise ValidationFailed("Current password is wrong.", zh="当前密码不正确。",
                               errors={"old_password": ["Wrong password."]})
    user = db.session.get(User, user.id)
    user.password_hash = hash_password(new, user.username)
    return {"sessions_ended": _end_sessions(user.id, keep=keep_session_hash),
            "tokens_revoked": _revoke_tokens(user.id)}


@command
def revoke_user_tokens(user_id: int) -> dict:
    """Admin: revoke every live API token of a user (a lost phone, a leaked script); sessions stay."""
    user = get_user(user_id)
    return {"tokens_revoked": _revoke_tokens(user.id)}


def _end_sessions(user_id: int, keep: str | None = None) -> int:
    stmt = delete(UserSession).where(UserSession.user_id == user_id)
    if keep:
        stmt = stmt.where(UserSession.key_hash != keep)
    return db.session.execute(stmt).rowcount or 0


def _revoke_tokens(user_id: int) -> int:
    live = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user_id,
                                                     ApiToken.revoked_at.is_(None))).all()
    for tok in live:
        tok.revoked_at = utcnow()
    return len(live)


@command
def login(username: str, password: str, ip: str | None, user_agent: str | None) -> tuple[User, str, UserSession]:
    """Check credentials and open a server-side session; returns (user, cookie key, session)."""
    user = db.session.scalar(select(User).where(func.lower(User.username) == (username or "").strip().lower()))
    if not verify_password(user, password or "") or not user.is_active:
        raise Unauthenticated("Wrong username or password.", code="invalid_credentials")
    key = secrets.token_urlsafe(32)
    sess = UserSession(key_hash=sha256(key), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                       ip=ip, user_agent=(user_agent or "")[:300])
    db.session.add(sess)
    # Bookkeeping, not an edit: a bulk UPDATE so the user's version (optimistic lock) stays put.
    values = {"last_login_at": utcnow()}
    if _hasher.check_needs_rehash(user.password_hash):
        values["password_hash"] = _hasher.hash(password)
    db.session.execute(update(User).where(User.id == user.id).values(**values)
                       .execution_options(synchronize_session=False))
    db.session.flush()
    return user, key, sess


@command
def logout(key_hash: str) -> None:
    db.session.execute(delete(UserSession).where(UserSession.key_hash == key_hash))


def load_session(key: str, idle_hours: int, max_hours: int | None = None) -> UserSession | None:
    """The live session for a cookie key, or None (idle too long, older than ``max_hours`` however much it is
    used, logged out, user deactivated)."""
    row = db.session.execute(select(UserSession, warehouse_ids_column(UserSession.user_id))
                             .where(UserSession.key_hash == sha256(key))).first()
    sess = row[0] if row else None
    if sess is None or not sess.user.is_active:
        return None
    sess.user.remember_warehouse_ids(row[1])
    now = utcnow()
    if now - sess.last_seen_at > timedelta(hours=idle_hours):
        return None
    if max_hours is not None and now - sess.created_at > timedelta(hours=max_hours):
        return None
    return sess


def touch_session(sess: UserSession) -> None:
    """Refresh last_seen at most every 5 minutes (a write per request would serialise SQLite)."""
    if utcnow() - sess.last_seen_at > timedelta(minutes=5):
        with transaction():
            s = db.session.get(UserSession, sess.id)
            if s is not None:
                s.last_seen_at = utcnow()


@command
def create_token(user: User, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Create a personal API token; the secret is returned once and stored hashed.

    Only a login session (or the CLI) may create tokens: a token minting tokens would let a leaked token
    outlive its own revocation through its children."""
    actor = current_actor()
    if actor is not None and actor.source == "api_token":
        raise PermissionDenied("API tokens can only be created from a login session, not with a token.",
                               zh="只能在登录会话中创建 API 令牌，不能用令牌创建令牌。", code="session_required")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    tok = ApiToken(user_id=user.id, name=name.strip() or "token", prefix=secret[:10], token_hash=sha256(secret),
                   expires_at=expires_at)
    db.session.add(tok)
    db.session.flush()
    return tok, secret


@command
def revoke_token(user: User, token_id: int) -> ApiToken:
    tok = db.session.get(ApiToken, token_id)
    if tok is None or (tok.user_id != user.id and not user.can("user.admin")):
        raise NotFound("Token not found.")
    if tok.revoked_at is None:
        tok.revoked_at = utcnow()
    return tok


def authenticate_token(secret: str) -> ApiToken | None:
    """The live token for a bearer secret, or None."""
    row = db.session.execute(select(ApiToken, warehouse_ids_column(ApiToken.user_id))
                             .where(ApiToken.token_hash == sha256(secret))).first()
    tok = row[0] if row else None
    if tok is None or tok.revoked_at is not None or not tok.user.is_active:
        return None
    tok.user.remember_warehouse_ids(row[1])
    if tok.expires_at is not None and tok.expires_at <= utcnow():
        return None
    return tok


def ensure_can_admin(user: User) -> None:
    if not user.can("user.admin"):
        raise PermissionDenied()
