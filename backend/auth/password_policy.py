"""Password policy beyond length: refuse the most common passwords and the username itself.

The list is zxcvbn's frequency list of leaked passwords (30,000 entries, of which ~11,600 have 8 or more
characters), shipped with the ``zxcvbn`` package, so it works offline. Only an exact match (ignoring
case and surrounding blanks) is refused: the goal is to stop ``password123`` and ``qwertyuiop``, not to
score strength.
"""
from __future__ import annotations

from functools import lru_cache

MIN_LENGTH = 8


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p for p in FREQUENCY_LISTS["passwords"] if len(p) >= MIN_LENGTH)


def problems(password: str, username: str | None = None) -> list[str]:
    """English reasons why ``password`` is refused (empty: acceptable). Length is checked elsewhere."""
    folded = password.strip().casefold()
    out = []
    if folded in common_passwords():
        out.append("This password is one of the most common passwords.")
    if username and folded == username.strip().casefold():
        out.append("The password must not be the username.")
    return out


__all__ = ["MIN_LENGTH", "common_passwords", "problems"]
