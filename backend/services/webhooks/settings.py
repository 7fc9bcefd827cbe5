"""Webhook settings from the app config (``WEBHOOK_*``), with defaults outside an app context."""
from __future__ import annotations

from flask import current_app, has_app_context


def setting(name: str, default):
    return current_app.config.get(name, default) if has_app_context() else default
