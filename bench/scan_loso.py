"""Leave-one-set-out scoring of the decode cascade (imported by bench/scan_bench.py).

What the cascade learns from data is its **pass list**: which (image variant, engine, settings) passes run
and in which order (docs/scanning.md, "How the order was chosen"). Everything else — the variants'
parameters, the voting rules, the time budget — is a fixed prior written in the code, not chosen per set.

So the generalisation test replays that choice without the set being scored:

1. every pass of ``backend/scan/passes.py`` ``POOL`` (every pass the cascade may run) is run once on
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

import copy
import hashlib
import importlib
import json
import os
import time

import numpy as np

D = importlib.import_module("backend.scan.decode")  # the module (backend.scan.decode is also the function)

CACHE = os.environ.get("SCAN_BENCH_CACHE", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".cache"))
WRONG_WEIGHT = 20


CACHE_VERSION = 3  # bump when a variant or a pass filter changes (the recorded passes are then stale)
TRAIN_SYNTH_SEED = 1000  # the tuner's synthetic photos; bench/scan_synth.py reports seed 1


def _cache_path(digest: str) -> str:
    return os.path.join(CACHE, f"scan-passes-v{CACHE_VERSION}", digest[:2], digest + ".json")


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
        variants = D.variants_for(data, max_pixels=10**9)
        for vname, engine, opts in todo:
            t0 = time.thread_time()  # CPU time, like the decoder's budget clock
            out = D.run_pass(variants, vname, engine, opts)
            ms = (time.thread_time() - t0) * 1000
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


def _parsed(rec: dict) -> dict:
    """Recorded passes as the runner returns them (parsed once per photo)."""
    out = rec.get("__parsed__")
    if out is None:
        out = {}
        for k, r in rec.items():
            if r is not None:
                name, eng, reads, m, ms = r
                out[k] = (name, eng, [(t, s, [tuple(p) for p in pts]) for t, s, pts in reads], np.asarray(m), ms)
        rec["__parsed__"] = out
    return out


def replay(rec: dict, cascade, budget_s: float = D.DEFAULT_BUDGET_S):
    """The decoder's answer on one photo from recorded passes: (results, simulated ms, settled).

    ``settled``: the cascade stopped before the end of ``cascade`` (appending passes cannot change it)."""
    parsed = _parsed(rec)
    spent = [0.0]
    calls = [0]

    def runner(vname, engine, opts):
        calls[0] += 1
        r = parsed.get(D.pass_key(vname, engine, opts))
        if r is None:
            return None
        spent[0] += r[4]
        return r[:4]

    res = D.vote(cascade, runner, deadline=budget_s * 1000, clock=lambda: spent[0])
    return res, spent[0], calls[0] < len(cascade)


def outcome(expected, texts, same) -> int:
    """+1 correct, −WRONG_WEIGHT wrong (or any read where no code is expected), 0 nothing."""
    if expected is None:
        return -WRONG_WEIGHT if texts else 0
    if any(same(expected, t) for t in texts):
        return 1
    return -WRONG_WEIGHT if texts else 0


def tune(items, pool, same, budget_s: float = D.DEFAULT_BUDGET_S) -> list:
    """Greedy pass order from ``items`` = [(expected, rec)] (the training photos).

    Incremental: each photo keeps the voting state (``decode.Vote``) of the order chosen so far; a
    candidate pass is scored by feeding a copy of that state one more pass (the same as replaying the
    whole order, since the voting is deterministic)."""
    budget = budget_s * 1000
    recs = [_parsed(rec) for _, rec in items]
    keys = {D.pass_key(*p): p for p in pool}
    cost = {k: float(np.mean([(r.get(k) or (0, 0, 0, 0, 0.0))[4] for r in recs])) or 1e-3 for k in keys}
    votes = [D.Vote() for _ in items]
    spent = [0.0] * len(items)
    score = [0] * len(items)
    active = set(range(len(items)))
    order: list = []
    remaining = list(keys)
    while remaining and active:
        best, best_val, best_new = None, 0.0, None
        for k in remaining:
            gain, new = 0, {}
            for i in active:
                r = recs[i].get(k)
                if r is None:
                    continue
                v = copy.deepcopy(votes[i])
                v.feed(*r[:4])
                sc = outcome(items[i][0], [d.text for d in v.results()], same)
                gain += sc - score[i]
                new[i] = (v, sc, r[4])
            val = gain / cost[k]
            if gain > 0 and val > best_val:
                best, best_val, best_new = k, val, new
        if best is None:
            break
        order.append(keys[best])
        remaining.remove(best)
        for i, (v, sc, ms) in best_new.items():
            votes[i], score[i] = v, sc
            spent[i] += ms
            if v.done or spent[i] > budget:
                active.discard(i)
    # passes that read nothing new on the training sets: kept (for photos unlike the training ones), cheapest first
    order += [keys[k] for k in sorted(remaining, key=lambda k: cost[k])]
    return order


def synthetic_items(per_cell: int, seed: int, pool) -> list:
    """[(expected, rec)] for generated photos (bench/scan_synth.py) — a training set for the tuner made with
    a seed of its own, so the synthetic figures reported (another seed) are of photos it never saw."""
    import scan_synth as S

    items = []
    for spoil, levels in S.STRENGTHS.items():
        for li, (_lname, level) in enumerate(levels.items()):
            for si, sym in enumerate(S.SYMBOLOGIES):
                for k in range(per_cell):
                    rng = np.random.default_rng([seed, list(S.STRENGTHS).index(spoil), li, si, k])
                    data, text, _ = S.make(sym, spoil, level, rng)
                    items.append((text, record(data, pool)))
    return items


def loso(sets: dict, pool, same, progress=None, extra_train=()):
    """``sets`` = {set_name: [(expected, rec)]} → {set_name: (ok, wrong, n, [ms], order)}, each set scored
    with the order tuned on all the others."""
    out = {}
    for s in sorted(sets):
        train = [it for t, its in sets.items() if t != s for it in its] + list(extra_train)
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
