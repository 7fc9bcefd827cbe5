"""CLI command modules: each defines ``register(app)``; all are registered by backend.cli."""
from __future__ import annotations

import time

from backend.extensions import db


def delivery_loop(deliver, batch: int, once: bool, interval: float, total: dict) -> dict:
    """The outbox workers' loop (webhooks, notifications): deliver what is due, sleep when idle, add up."""
    try:
        while True:
            counts = deliver(batch)
            db.session.remove()
            for k, v in counts.items():
                total[k] = total.get(k, 0) + v
            busy = sum(counts.values()) >= batch
            if once and not busy:
                break
            if not busy:
                time.sleep(interval)
    except KeyboardInterrupt:
        pass
    return total
