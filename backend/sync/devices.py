"""Devices: a phone registered to one user; its ``last_seq`` orders its ops (see push)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.errors import NotFound, PermissionDenied
from backend.extensions import db
from backend.models.sync import SyncDevice
from backend.services.uow import command


def lock_device(device_id: str) -> SyncDevice | None:
    return db.session.scalars(select(SyncDevice).where(SyncDevice.id == device_id).with_for_update(of=SyncDevice)
                              .execution_options(populate_existing=True)).first()


def own(device: SyncDevice, user: Any) -> None:
    """Refuse a device of another user (``user``: a User or its id) or a disabled one."""
    uid = user if isinstance(user, int) else user.id
    if device.user_id != uid:
        raise PermissionDenied("This device is registered to another user.", code="device_forbidden",
                               errors={"device_id": device.id})
    if not device.is_active:
        raise PermissionDenied("This device has been disabled.", code="device_disabled",
                               errors={"device_id": device.id})


def is_device_refusal(exc: Exception) -> bool:
    return isinstance(exc, PermissionDenied) and exc.code in ("device_forbidden", "device_disabled")


@command
def register_device(user: Any, device_id: str, name: str | None = None, platform: str | None = None
                    ) -> tuple[SyncDevice, bool]:
    """Register a device to ``user`` (idempotent for the same user; another user's device is refused)."""
    dev = lock_device(device_id)
    if dev is not None:
        own(dev, user)
        if name is not None:
            dev.name = name
        if platform is not None:
            dev.platform = platform
        return dev, False
    try:
        with db.session.begin_nested():  # two first pushes of a new device may race here
            dev = SyncDevice(id=device_id, user_id=user.id, name=name, platform=platform, last_seq=0)
            db.session.add(dev)
        return dev, True
    except IntegrityError:
        dev = lock_device(device_id)
        assert dev is not None  # the other first push created it
        own(dev, user)
        return dev, False


@command
def set_device_active(user: Any, device_id: str, active: bool) -> SyncDevice:
    dev = lock_device(device_id)
    if dev is None:
        raise NotFound("Device not found.", errors={"device_id": device_id})
    if dev.user_id != user.id and not user.can("sync.manage"):
        raise NotFound("Device not found.", errors={"device_id": device_id})
    dev.is_active = active
    return dev


def list_devices(user: Any) -> list[SyncDevice]:
    stmt = select(SyncDevice).order_by(SyncDevice.created_at)
    if not user.can("sync.manage"):
        stmt = stmt.where(SyncDevice.user_id == user.id)
    return list(db.session.scalars(stmt))
