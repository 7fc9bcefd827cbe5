"""The shop's own details printed at the top of every PDF (one row, id 1)."""
from __future__ import annotations

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from backend.models.base import Base, TimestampMixin, VersionedMixin


class CompanySettings(VersionedMixin, TimestampMixin, Base):
    """Name, address, tax id, phone and logo used on printed documents (a single row)."""

    __tablename__ = "company_settings"
    __audit_exclude__ = ("logo",)  # the audit log records the logo's hash, type and size, never image bytes

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    tax_id: Mapped[str] = mapped_column(String(64), default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    # a clean PNG/JPEG re-encoded by backend.uploads.clean_image (never the uploaded bytes)
    logo: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    logo_type: Mapped[str | None] = mapped_column(String(40))
    logo_size: Mapped[int | None] = mapped_column(Integer)
    logo_width: Mapped[int | None] = mapped_column(Integer)
    logo_height: Mapped[int | None] = mapped_column(Integer)
    logo_sha256: Mapped[str | None] = mapped_column(String(64))  # a new logo shows in the audit log
