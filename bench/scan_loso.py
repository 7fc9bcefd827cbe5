"""Leave-one-set-out scoring of the decode cascade (imported by bench/scan_bench.py).

What the cascade learns from data is its **pass list**: which (image variant, engine, settings) passes run
and in which order (docs/scanning.md, "How the order was chosen"). Everything else — the variants'
parameters, the voting rules, the time budget — is a fixed prior written in the code, not chosen per set.

So the generalisation test replays that choice without the set being scored:

1. every pass of ``decode.POOL`` (the shipped cascade plus candidate passes it does not ship) is run once on
   every photo and recorded (reads, positions, ms) in a cache keyed by the photo's hash and the pass;
2. for each set S, ``tune`` picks the pass order greedily from the *other* sets only: at each step the pass
   with the best (correct reads − 20 × wrong reads) gain per ms, simulated through the real voting rules
   (``decode.vote``) with early stopping; passes that gain nothing on the training sets follow, cheapest
   first;
3. that order is replayed on S through the same voting rules, with the recorded times against the budget.

The replay is exact: the engines are deterministic, and ``decode.vote`` is the function ``decode_gray``
itself runs. ``replay(CASCADE)`` therefore reproduces the plain figure of the shipped cascade.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import os
import time

import numpy as np

from backend.scan.images import load_gray

D = importlib.import_module("backend.scan.decode")  # the module (backend.scan.decode is also the function)

CACHE = os.environ.get("SCAN_BENCH_CACHE", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".cache"))
WRONG_WEIGHT = 20


def _cache_path(digest: str) -> str:
    return os.path.join(CACHE, "scan-passes", digest[:2], digest + ".json")


def record(data: bytes, pool) -> dict:
    """``{pass_key: [pass_name, engine, reads, m, ms] or None}`` for every pass of ``pool`` on one photo (cached)."""
    digest = hashlib.sha1(data).hexdigest()
    path = _cache_path(digest)
    rec = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            rec = json.load(fh)
    todo = [p for p in pool if D.pass_key(*p) not in rec]
    if todo:
        gray = load_gray(data, max_pixels=10**9)
        variants = D._Variants(np.ascontiguousarray(gray))
        for vname, engine, opts in todo:
            t0 = time.perf_counter()
            out = D.run_pass(variants, vname, engine, opts)
            ms = (time.perf_counter() - t0) * 1000
            if out is None:
                rec[D.pass_key(vname, engine, opts)] = None
                continue
            name, eng, reads, m = out
            rec[D.pass_key(vname, engine, opts)] = [name, eng, [[t, s, [list(p) for p in pts]] for t, s, pts in reads],
                                                    np.asarray(m).tolist(), round(ms, 3)]
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(rec, fh)
        os.replace(tmp, path)
    return rec


def replay(rec: dict, cascade, budget_s: float = D.DEFAULT_BUDGET_S):
    """The decoder's answer on one photo from recorded passes: (results, simulated ms, settled).

    ``settled``: the cascade stopped before the end of ``cascade`` (appending passes cannot change it)."""
    spent = [0.0]
    calls = [0]

    def runner(vname, engine, opts):
        calls[0] += 1
        r = rec.get(D.pass_key(vname, engine, opts))
        if r is None:
            return None
        name, eng, reads, m, ms = r
        spent[0] += ms
        return name, eng, [(t, s, [tuple(p) for p in pts]) for t, s, pts in reads], np.asarray(m)

    res = D.vote(cascade, runner, deadline=budget_s * 1000, clock=lambda: spent[0])
    return res, spent[0], calls[0] < len(cascade)


def outcome(expected, texts, same) -> int:
    """+1 correct, −WRONG_WEIGHT wrong (or any read where no code is expected), 0 nothing."""
    if expected is None:
        return -WRONG_WEIGHT if texts else 0
    if any(same(expected, t) for t in texts):
        return 1
    return -WRONG_WEIGHT if texts else 0


def tune(items, pool, same) -> list:
    """Greedy pass order from ``items`` = [(expected, rec)] (the training photos)."""
    order: list = []
    remaining = list(pool)
    state = [(0, False)] * len(items)  # per photo: (score, settled)
    cost = {D.pass_key(*p): np.mean([(rec.get(D.pass_key(*p)) or [0, 0, 0, 0, 0.0])[4] for _, rec in items]) or 1e-3
            for p in pool}
    while remaining:
        best, best_val, best_state = None, 0.0, None
        for p in remaining:
            cand = order + [p]
            gain, new_state = 0, list(state)
            for i, (exp, rec) in enumerate(items):
                if state[i][1]:
                    continue
                res, _ms, settled = replay(rec, cand)
                sc = outcome(exp, [d.text for d in res], same)
                gain += sc - state[i][0]
                new_state[i] = (sc, settled)
            val = gain / cost[D.pass_key(*p)]
            if gain > 0 and val > best_val:
                best, best_val, best_state = p, val, new_state
        if best is None:
            break
        order.append(best)
        remaining.remove(best)
        state = best_state
    # passes that read nothing new on the training sets: kept (for photos unlike the training ones), cheapest first
    order += sorted(remaining, key=lambda p: cost[D.pass_key(*p)])
    return order


def loso(sets: dict, pool, same, progress=None):
    """``sets`` = {set_name: [(expected, rec)]} → {set_name: (ok, wrong, n, [ms], order)}, each set scored
    with the order tuned on all the others."""
    out = {}
    for s in sorted(sets):
        train = [it for t, its in sets.items() if t != s for it in its]
        order = tune(train, pool, same)
        ok = wrong = n = 0
        ms_all = []
        for exp, rec in sets[s]:
            res, ms, _ = replay(rec, order)
            texts = [d.text for d in res]
            ms_all.append(ms)
            if exp is None:
                wrong += bool(texts)
                n += 1
                continue
            hit = any(same(exp, t) for t in texts)
            ok += hit
            wrong += bool(texts) and not hit
            n += 1
        out[s] = (ok, wrong, n, ms_all, order)
        if progress:
            progress(s, out[s])
    return out
