"""Rate-limit counters kept in the application's database (``RATELIMIT_STORAGE_URI=db://``): exact limits
shared by every worker process without a Redis server."""
from __future__ import annotations

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base


class RateLimitCounter(Base):
    """One fixed window of one limit key (e.g. failed logins of an account): its count and when it ends."""

    __tablename__ = "rate_limit_counters"
    __audit__ = False

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[float] = mapped_column(Float, index=True)  # epoch seconds (the limits library's unit)


__all__ = ["RateLimitCounter"]
