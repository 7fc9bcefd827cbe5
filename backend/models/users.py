"""Users, server-side sessions and personal API tokens."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Integer, String, Table, cast, func, select
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from backend.models.base import Base, TimestampMixin, VersionedMixin, utcnow

user_warehouses = Table(
    "user_warehouses",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("warehouse_id", ForeignKey("warehouses.id", ondelete="CASCADE"), primary_key=True),
)


class User(VersionedMixin, TimestampMixin, Base):
    __tablename__ = "users"
    __audit_exclude__ = {"password_hash", "last_login_at"}

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(10), default="zh-CN")
    last_login_at: Mapped[datetime | None]
    # Loaded only when used (the /me answer, the user admin): a request needs the ids alone, which the
    # authentication query brings along (``warehouse_ids_column``), not the warehouses with their bins.
    warehouses = relationship("Warehouse", secondary=user_warehouses, lazy="select")

    # Flask-Login protocol; get_id returns the *session* key so each session can be revoked alone.
    _session_key = None  # set per request (not a column)

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self._session_key

    @property
    def permissions(self) -> frozenset[str]:
        from backend.auth.permissions import permissions_for

        return permissions_for(self.roles or [])

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def warehouse_ids(self) -> set[int] | None:
        """Warehouses this user is limited to, or None for all: the loaded relationship when it is (it may
        have just been changed), else the ids read once with the user (per request) or read now."""
        if "warehouses" in self.__dict__:
            ids = {w.id for w in self.warehouses}
        else:
            ids = self.__dict__.get("_warehouse_ids")
            if ids is None:
                session = object_session(self)
                if session is None:
                    ids = {w.id for w in self.warehouses}  # detached: as before (raises)
                else:
                    ids = set(session.scalars(select(user_warehouses.c.warehouse_id)
                                              .where(user_warehouses.c.user_id == self.id)))
                self.__dict__["_warehouse_ids"] = ids
        return set(ids) or None

    def remember_warehouse_ids(self, joined: str | None) -> None:
        """Keep the ids read by the authentication query (``warehouse_ids_column``: "3,7" or None)."""
        self.__dict__["_warehouse_ids"] = {int(x) for x in joined.split(",") if x} if joined else set()

    def may_use_warehouse(self, warehouse_id: int) -> bool:
        ids = self.warehouse_ids
        return ids is None or warehouse_id in ids


def warehouse_ids_column(user_id):
    """The user's warehouse ids as one text column ("3,7"), for the query that loads the user: a request
    costs one statement for the token or session, the user and their scope."""
    return (select(func.aggregate_strings(cast(user_warehouses.c.warehouse_id, String), ","))
            .where(user_warehouses.c.user_id == user_id).scalar_subquery())


class UserSession(Base):
    """A login session; the cookie holds a random key whose SHA-256 is stored here."""

    __tablename__ = "user_sessions"
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    user: Mapped[User] = relationship(lazy="joined")


class ApiToken(Base):
    """Personal API token (Bearer); only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    __audit_exclude__ = {"token_hash", "last_used_at"}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    user: Mapped[User] = relationship(lazy="joined")


__all__ = ["ApiToken", "Integer", "User", "UserSession", "user_warehouses", "warehouse_ids_column"]
