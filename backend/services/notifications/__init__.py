"""Notifications: who is told what, Web Push to their devices, and group-bot messages.

* ``events``: a session listener turns the audit records of a transaction (submit, approve, reject,
  ship, receive …) and rejected sync ops into ``notifications`` rows for the users concerned — an approver
  when something waits for them, the submitter when it was decided, a warehouse when a document is ready
  to receive/ship, a user whose sync op was refused — in the same transaction (an outbox: a message exists
  exactly when its change was committed; nothing is sent while the request runs).
* ``push``: ``deliver_due`` (CLI ``notifications-deliver``, a worker beside ``webhooks-deliver``) sends the
  rows to each device the user subscribed with Web Push (VAPID, ``pywebpush``); gone subscriptions (404/410)
  are removed. ``keys``: the VAPID key pair, made on first use and kept in ``server_keys``.
* ``prefs``: subscriptions per user/device and each user's choices (kinds on/off).
* ``digest``: the daily low-stock digest (CLI ``notifications-low-stock``).
* ``bots``: the markdown body of a webhook marked ``wecom`` / ``dingtalk`` / ``feishu`` (the webhook outbox
  delivers it, ``backend/services/webhooks/delivery.py``).
"""
from __future__ import annotations

from backend.services.notifications import events  # noqa: F401  (installs the session listener)
from backend.services.notifications.keys import public_key
from backend.services.notifications.prefs import (
    preferences,
    set_preferences,
    subscribe,
    unsubscribe,
    wants,
)
from backend.services.notifications.push import deliver_due

__all__ = ["deliver_due", "preferences", "public_key", "set_preferences", "subscribe", "unsubscribe", "wants"]
