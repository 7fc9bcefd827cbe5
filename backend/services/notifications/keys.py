"""The VAPID key pair (RFC 8292) of this server: made on first use and kept in ``server_keys``, so every
app process and restart signs with the same key (subscriptions are bound to its public key)."""
from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from backend.extensions import db
from backend.models.base import utcnow
from backend.models.notifications import ServerKey

NAME = "vapid_private_pem"


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def private_pem() -> str:
    """The private key (PEM); generated and stored the first time on its own connection (not the
    request's transaction), and a concurrent first start keeps the one that was stored first."""
    row = db.session.get(ServerKey, NAME)
    if row is not None:
        return row.value
    v = Vapid02()
    v.generate_keys()
    try:
        with db.engine.begin() as conn:
            conn.execute(insert(ServerKey.__table__).values(name=NAME, value=v.private_pem().decode(),
                                                            created_at=utcnow()))
    except IntegrityError:
        pass  # another process made it first: use theirs
    with db.engine.connect() as conn:
        return conn.execute(select(ServerKey.value).where(ServerKey.name == NAME)).scalar_one()


def vapid() -> Vapid02:
    return Vapid02.from_pem(private_pem().encode())


def public_key() -> str:
    """The applicationServerKey for ``PushManager.subscribe``: the uncompressed P-256 point, base64url."""
    raw = vapid().public_key.public_bytes(serialization.Encoding.X962,
                                          serialization.PublicFormat.UncompressedPoint)
    return _b64url(raw)
