"""``@require(permission)``: every route declares what it needs (checked by a test)."""
from __future__ import annotations

import functools

from flask_login import current_user

from backend.auth.permissions import PERMISSIONS
from backend.errors import PermissionDenied, Unauthenticated

PUBLIC = "public"  # no login (health, login)
AUTHENTICATED = "authenticated"  # any logged-in user


def require(permission: str):
    """Declare and enforce the permission a view method needs."""
    if permission not in PERMISSIONS and permission not in (PUBLIC, AUTHENTICATED):
        raise ValueError(f"unknown permission {permission!r}")

    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if permission != PUBLIC:
                user = current_user_or_none()
                if user is None:
                    raise Unauthenticated()
                if permission != AUTHENTICATED and not user.can(permission):
                    raise PermissionDenied(f"Missing permission {permission}.", zh=f"缺少权限 {permission}。", errors={"permission": permission})
            return fn(*args, **kwargs)

        wrapper._permission = permission
        doc = getattr(wrapper, "_apidoc", None)
        if doc is None:
            wrapper._apidoc = doc = {}
        doc.setdefault("manual_doc", {})
        doc["manual_doc"]["x-permission"] = permission
        return wrapper

    return deco


def current_user_or_none():
    # the User itself, not the proxy: services touch it thousands of times in a sync push
    return current_user._get_current_object() if getattr(current_user, "is_authenticated", False) else None


def current_user_required():
    """The logged-in user (raises Unauthenticated)."""
    user = current_user_or_none()
    if user is None:
        raise Unauthenticated()
    return user
