"""Inbox fixtures: ``device`` (a phone with an outbox) from the sync helpers."""
from tests.sync.sync_helpers import device  # noqa: F401 (fixture registered for this folder)
