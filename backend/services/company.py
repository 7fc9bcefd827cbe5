"""Company details (name, address, tax id, phone, e-mail, logo) printed at the top of every PDF.

One row (id 1). Reading never creates it: until an admin saves the details, ``get_company`` returns an
unsaved row with ``version`` 0 and PDFs print no letterhead. The logo is sniffed (PNG or JPEG only, from
the bytes), capped in bytes and pixels and re-encoded by ``backend.uploads.clean_image`` before the
transaction; what is stored is a clean raster, never the uploaded file.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import has_app_context

from backend.errors import PayloadTooLarge, StaleVersion, UnsupportedMediaType
from backend.extensions import db
from backend.models.company import CompanySettings
from backend.services.uow import command
from backend.uploads import clean_image, decode_slot, sniff_stored_format

ROW_ID = 1
FIELDS = ("name", "address", "tax_id", "phone", "email")
LOGO_MAX_BYTES = 1024 * 1024  # a letterhead logo, not a photo
LOGO_MAX_PIXELS = 4_000_000   # e.g. 2000×2000
LOGO_FORMATS = ("png", "jpeg")


@dataclass(frozen=True)
class Letterhead:
    """What a PDF prints at the top (``backend.services.documents_pdf.company_header``)."""

    name: str = ""
    address: str = ""
    tax_id: str = ""
    phone: str = ""
    email: str = ""
    logo: bytes | None = None

    @property
    def empty(self) -> bool:
        return not (self.name or self.address or self.tax_id or self.phone or self.email or self.logo)


def get_company() -> CompanySettings:
    """The saved details, or an unsaved blank row (``version`` 0) when none were saved yet."""
    row = db.session.get(CompanySettings, ROW_ID)
    if row is None:
        row = CompanySettings(id=ROW_ID, version=0, **dict.fromkeys(FIELDS, ""))
    return row


def _saved(version: int) -> CompanySettings:
    """The row to change, checked against the version the client saw (0 = not saved yet)."""
    row = db.session.get(CompanySettings, ROW_ID)
    current = row.version if row is not None else 0
    if version != current:
        raise StaleVersion()
    if row is None:
        row = CompanySettings(id=ROW_ID, **dict.fromkeys(FIELDS, ""))
        db.session.add(row)
    return row


@command
def update_company(data: dict, user) -> CompanySettings:
    """Save the details (fields left out stay as they are)."""
    row = _saved(data["version"])
    for f in FIELDS:
        if f in data:
            setattr(row, f, (data[f] or "").strip())
    db.session.flush()
    return row


def set_logo(version: int, data: bytes, user) -> CompanySettings:
    """Replace the logo: PNG or JPEG by its bytes, ≤ 1 MB and ≤ 4 MP, re-encoded before the transaction."""
    if len(data) > LOGO_MAX_BYTES:
        raise PayloadTooLarge(f"The logo is limited to {LOGO_MAX_BYTES // 1024} KB.",
                              zh=f"徽标不能超过 {LOGO_MAX_BYTES // 1024} KB。",
                              errors={"file": {"limit": "max_bytes", "max_bytes": LOGO_MAX_BYTES}})
    if sniff_stored_format(data) not in LOGO_FORMATS:
        raise UnsupportedMediaType("The logo must be a PNG or JPEG image (checked from the file's bytes).",
                                   zh="徽标必须是 PNG 或 JPEG 图片（按文件内容判断）。", errors={"file": ["png", "jpeg"]})
    with decode_slot():
        clean = clean_image(data, max_bytes=LOGO_MAX_BYTES, pixels=LOGO_MAX_PIXELS, field="file")
    return _store_logo(version, clean.data, clean.mimetype, clean.width, clean.height)


@command
def _store_logo(version: int, data: bytes | None, mimetype: str | None, width: int | None,
                height: int | None) -> CompanySettings:
    row = _saved(version)
    row.logo, row.logo_type = data, mimetype
    row.logo_size = len(data) if data is not None else None
    row.logo_width, row.logo_height = width, height
    row.logo_sha256 = hashlib.sha256(data).hexdigest() if data is not None else None
    db.session.flush()
    return row


def delete_logo(version: int, user) -> CompanySettings:
    return _store_logo(version, None, None, None, None)


def logo_bytes() -> tuple[bytes, str] | None:
    row = db.session.get(CompanySettings, ROW_ID)
    if row is None or not row.logo:
        return None
    return row.logo, row.logo_type or "image/png"


def letterhead() -> Letterhead:
    """The letterhead to print (blank when nothing is saved, or outside an application context)."""
    if not has_app_context():
        return Letterhead()
    row = db.session.get(CompanySettings, ROW_ID)
    if row is None:
        return Letterhead()
    return Letterhead(**{f: getattr(row, f) or "" for f in FIELDS}, logo=row.logo)
