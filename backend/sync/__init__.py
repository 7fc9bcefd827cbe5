"""Offline sync, an entry point beside ``backend.api`` (contract: docs/sync-protocol.md).

* ``api`` — the blueprint ``/api/v1/sync`` (devices, push, pull, op types, op records);
* ``devices`` — a phone registered to one user;
* ``envelope`` — an op as sent (``Op``, ``Photo``) and its hash; ``photos`` — barcode photos decoded at push;
* ``push`` — apply a device's ops exactly once, in order, in chunks; ``apply`` — one op through its command;
  ``records`` — the op records (``sync_ops`` rows) and the answers built from them;
* ``batch_path``, ``batch``, ``rows`` — runs of plannable ops planned in memory and written together;
* ``ops`` — the op registry, one module per domain, one declaration (``OpType``) per op type;
* ``rejected`` — the rejected-ops inbox (list, resolve, dismiss) and pruning;
* ``pull``, ``changes`` — what changed since a cursor, and the commit-ordered change log behind it.

Sync imports services; services never import sync.
"""
