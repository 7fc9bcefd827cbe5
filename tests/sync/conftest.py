"""Sync fixtures: ``device`` (a phone with an outbox) comes from sync_helpers."""
from tests.sync.sync_helpers import device  # noqa: F401 (fixture registered for this folder)
