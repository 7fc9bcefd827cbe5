"""Exactly once: replays, random interleaved sub-batches from two devices at once, injected failures."""
import random
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from backend.extensions import db
from backend.models.catalog import Barcode
from backend.models.ledger import StockMove
from backend.models.sync import SyncDevice, SyncOp
from backend.sync import push as sync_service
from tests.factories import assert_ledger_ok, stock_in
from tests.sync.sync_helpers import ApiClientFor


def _outbox(d, products, wh, n, rnd, codes):
    for i in range(n):
        p = rnd.choice(products)
        if i % 7 == 3:
            d.queue("barcode.assign", {"product_id": p.id, "code": next(codes)})
        elif rnd.random() < 0.5:
            d.queue("stock.adjust", {"warehouse_id": wh.id, "reason": "found",
                                     "lines": [{"product_id": p.id, "quantity": str(rnd.randint(1, 3))}]})
        else:  # may be refused for lack of stock: a rejection must be kept exactly once too
            d.queue("stock.adjust", {"warehouse_id": wh.id, "reason": "damage",
                                     "lines": [{"product_id": p.id, "quantity": str(-rnd.randint(1, 6))}]})


def _codes():
    i = 0
    while True:
        i += 1
        yield f"SYNC-{i:06d}"


def _first_outcomes(responses):
    """op_id -> the first non-duplicate outcome seen."""
    first = {}
    for body in responses:
        for r in body["results"]:
            if r["status"] in ("applied", "rejected") and r.get("code") != "sequence_gap":
                assert r["op_id"] not in first, f"op {r['op_id']} was processed twice"
                first[r["op_id"]] = (r["status"], r.get("result"), r.get("code"))
    return first


def _check_exactly_once(devices, first):
    db.session.commit()
    for d in devices:
        assert db.session.get(SyncDevice, d.id).last_seq == len(d.outbox)
        for o in d.outbox:
            status, _result, _code = first[o["op_id"]]
            rec = db.session.scalar(select(SyncOp).where(SyncOp.op_id == o["op_id"]))
            assert rec.status == status
            moves = db.session.scalar(select(func.count()).select_from(StockMove).where(StockMove.op_id == o["op_id"]))
            if o["type"] == "stock.adjust":
                assert moves == (1 if status == "applied" else 0)
            else:
                n = db.session.scalar(select(func.count()).select_from(Barcode)
                                      .where(Barcode.code == o["payload"]["code"]))
                assert n == (1 if status == "applied" else 0)
    assert_ledger_ok()


def _replay_equals_first(d, first):
    body = d.push()
    assert all(r["status"] == "duplicate" for r in body["results"])
    for r in body["results"]:
        status, result, code = first[r["op_id"]]
        assert r["original_status"] == status
        assert r.get("result") == result and r.get("code") == code


def test_replaying_a_whole_batch_applies_nothing_twice_and_answers_the_same(login, make_warehouse, make_product,
                                                                           device):
    wh = make_warehouse()
    products = [make_product() for _ in range(3)]
    for p in products:
        stock_in(p, wh, 20)
    d = device(login("warehouse"))
    _outbox(d, products, wh, 40, random.Random(1), _codes())
    first_body = d.push()
    first = _first_outcomes([first_body])
    assert len(first) == 40
    for _ in range(2):
        _replay_equals_first(d, first)
    _check_exactly_once([d], first)


def _random_pusher(d, responses, rnd, errors):
    try:
        n = len(d.outbox)
        last = 0
        rounds = 0
        while last < n:
            rounds += 1
            assert rounds < 500
            lo = rnd.randint(max(0, last - 5), last)  # some already-applied ops again…
            hi = min(n, lo + rnd.randint(1, 8) + (rnd.random() < 0.2) * 3)
            window = d.outbox[lo:hi]
            if rnd.random() < 0.25 and hi - last >= 3:  # …and sometimes a hole: sequence_gap
                window = d.outbox[lo:last + 1] + d.outbox[last + 2:hi]
            body = d.push(window)
            responses.append(body)
            last = body["last_seq"]
    except BaseException as exc:  # pragma: no cover - reported by the test
        errors.append(exc)


def test_random_sub_batches_from_two_devices_at_once_apply_each_op_exactly_once(login, make_warehouse,
                                                                                  make_product, device):
    wh = make_warehouse()
    products = [make_product() for _ in range(3)]
    for p in products:
        stock_in(p, wh, 10)
    codes = _codes()
    devices = [device(login("warehouse")), device(login("manager"))]
    for k, d in enumerate(devices):
        _outbox(d, products, wh, 30, random.Random(10 + k), codes)
    responses, errors = [], []
    threads = [threading.Thread(target=_random_pusher, args=(d, responses, random.Random(20 + k), errors))
               for k, d in enumerate(devices)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors
    first = _first_outcomes(responses)
    assert len(first) == 60
    seen = {"gap" if r.get("code") == "sequence_gap" else r["status"] for b in responses for r in b["results"]}
    assert {"gap", "duplicate", "applied", "rejected"} <= seen  # the schedule really exercised every path
    for d in devices:
        _replay_equals_first(d, first)
    _check_exactly_once(devices, first)


def test_the_same_batch_pushed_twice_at_the_same_moment_is_applied_once(login, make_warehouse, make_product,
                                                                       device):
    wh = make_warehouse()
    products = [make_product() for _ in range(2)]
    for p in products:
        stock_in(p, wh, 50)
    api = login("warehouse")
    d = device(api)
    _outbox(d, products, wh, 25, random.Random(3), _codes())
    twin = device(ApiClientFor(api), d.id)
    twin.outbox = d.outbox
    responses, errors = [], []

    def run(dev):
        try:
            responses.append(dev.push())
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(x,)) for x in (d, twin)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    first = _first_outcomes(responses)
    assert len(first) == 25
    _check_exactly_once([d], first)


def _resend_applies_the_rest_once(d, committed: int) -> dict:
    """After a failed push: the resend answers the committed ops as duplicates, applies or rejects the
    rest, and every op ends up applied exactly once. Returns the first outcomes."""
    body = d.push()
    assert [r["status"] for r in body["results"][:committed]] == ["duplicate"] * committed
    assert all(r["status"] in ("applied", "rejected") for r in body["results"][committed:])
    first = {r["op_id"]: (r["original_status"] if r["status"] == "duplicate" else r["status"], r.get("result"),
                          r.get("code")) for r in body["results"]}
    _check_exactly_once([d], first)
    return first


@pytest.mark.parametrize("where", ["after_effect_before_commit", "between_ops"])
@pytest.mark.parametrize("k", [1, 7])
def test_a_push_failing_mid_batch_then_resent_applies_every_op_exactly_once(app, login, make_warehouse, make_product,
                                                                           device, monkeypatch, where, k):
    wh = make_warehouse()
    products = [make_product() for _ in range(2)]
    for p in products:
        stock_in(p, wh, 30)
    d = device(login("warehouse"))
    _outbox(d, products, wh, 12, random.Random(k), _codes())
    monkeypatch.setitem(app.config, "SYNC_CHUNK_OPS", 3)  # ops commit in chunks of 3
    monkeypatch.setitem(app.config, "SYNC_CHUNK_SECONDS", 600)  # … and not fewer on a busy machine
    monkeypatch.setitem(app.config, "SYNC_BATCH_PATH", False)  # one by one: the batch path has its own test
    calls = {"n": 0}
    real_record, real_process = sync_service._record, sync_service._apply_in_savepoint

    def failing_record(*a, **kw):  # the op's effect is flushed; the DB dies before the commit
        calls["n"] += 1
        rec = real_record(*a, **kw)
        if calls["n"] == k + 1:
            db.session.flush()
            raise OperationalError("COMMIT", {}, Exception("injected: server closed the connection"))
        return rec

    def failing_process(*a, **kw):  # ops 1..k are done; the process dies before op k+1
        calls["n"] += 1
        if calls["n"] == k + 1:
            raise OperationalError("SELECT", {}, Exception("injected: connection lost"))
        return real_process(*a, **kw)

    if where == "after_effect_before_commit":
        monkeypatch.setattr(sync_service, "_record", failing_record)
    else:
        monkeypatch.setattr(sync_service, "_apply_in_savepoint", failing_process)
    r = d.api.post("/api/v1/sync/push", json={"device_id": d.id, "ops": d.outbox})
    assert r.status_code == 500 and r.get_json()["code"] == "internal_error"
    db.session.commit()
    committed = k - k % 3  # the chunks before the failing one stay; op k+1's chunk is rolled back whole
    assert db.session.get(SyncDevice, d.id).last_seq == committed
    assert db.session.scalar(select(func.count()).select_from(SyncOp)) == committed
    monkeypatch.undo()
    _resend_applies_the_rest_once(d, committed)


@pytest.mark.parametrize("where", ["after_write_before_commit", "before_run"])
@pytest.mark.parametrize("k", [1, 2])
def test_a_push_failing_in_the_batch_path_then_resent_applies_every_op_exactly_once(
        app, login, make_warehouse, make_product, device, monkeypatch, where, k):
    """The same fault test on the batch path: runs of 4 ops are planned and written together; the DB
    dies after run k+1 is written (before its commit), or before run k+1 starts."""
    from backend.sync.batch import Batch

    wh = make_warehouse()
    products = [make_product() for _ in range(2)]
    for p in products:
        stock_in(p, wh, 30)
    d = device(login("warehouse"))
    _outbox(d, products, wh, 12, random.Random(k), _codes())
    monkeypatch.setitem(app.config, "SYNC_CHUNK_OPS", 4)
    monkeypatch.setitem(app.config, "SYNC_CHUNK_SECONDS", 600)
    calls = {"n": 0}
    real_flush, real_batch = Batch.flush, sync_service._apply_batch

    def failing_flush(self):
        calls["n"] += 1
        real_flush(self)  # documents, moves, levels, audit and op records are written …
        if calls["n"] == k + 1:  # … and the connection is lost before the commit
            raise OperationalError("COMMIT", {}, Exception("injected: server closed the connection"))

    def failing_batch(*a, **kw):
        calls["n"] += 1
        if calls["n"] == k + 1:
            raise OperationalError("SELECT", {}, Exception("injected: connection lost"))
        return real_batch(*a, **kw)

    if where == "after_write_before_commit":
        monkeypatch.setattr(Batch, "flush", failing_flush)
    else:
        monkeypatch.setattr(sync_service, "_apply_batch", failing_batch)
    r = d.api.post("/api/v1/sync/push", json={"device_id": d.id, "ops": d.outbox})
    assert r.status_code == 500 and r.get_json()["code"] == "internal_error"
    assert calls["n"] == k + 1  # the runs really took the batch path
    db.session.commit()
    committed = 4 * k  # the runs (= chunks) before the failing one stay, the failing one is rolled back whole
    assert db.session.get(SyncDevice, d.id).last_seq == committed
    assert db.session.scalar(select(func.count()).select_from(SyncOp)) == committed
    assert db.session.scalar(select(func.count()).select_from(StockMove).where(StockMove.op_id.isnot(None))) == \
        db.session.scalar(select(func.count()).select_from(SyncOp).where(SyncOp.type == "stock.adjust",
                                                                          SyncOp.status == "applied"))
    monkeypatch.undo()
    first = _resend_applies_the_rest_once(d, committed)
    _replay_equals_first(d, first)


@pytest.mark.parametrize("batch_path", [True, False])
def test_a_chunk_that_loses_a_deadlock_runs_again_and_the_push_succeeds(app, login, make_warehouse, make_product,
                                                                        device, monkeypatch, batch_path):
    """PostgreSQL aborts one of two transactions that wait for each other (40P01): the chunk was rolled back
    whole, so the server runs it again — the phone gets its answer, not a 500, and nothing is doubled."""
    import psycopg

    wh = make_warehouse()
    products = [make_product() for _ in range(2)]
    for p in products:
        stock_in(p, wh, 30)
    d = device(login("warehouse"))
    _outbox(d, products, wh, 10, random.Random(5), _codes())
    monkeypatch.setitem(app.config, "SYNC_BATCH_PATH", batch_path)
    monkeypatch.setitem(app.config, "SYNC_CHUNK_OPS", 4)
    monkeypatch.setitem(app.config, "SYNC_CHUNK_SECONDS", 600)
    name = "_apply_batch" if batch_path else "_apply_in_savepoint"
    real = getattr(sync_service, name)
    calls = {"n": 0}

    def deadlocked_once(*a, **kw):
        calls["n"] += 1
        if calls["n"] == 2:  # the second chunk's first step: its transaction is the deadlock victim
            raise OperationalError("UPDATE stock_levels", {}, psycopg.errors.DeadlockDetected("deadlock detected"))
        return real(*a, **kw)

    monkeypatch.setattr(sync_service, name, deadlocked_once)
    body = d.push()
    assert calls["n"] > 2
    first = _first_outcomes([body])
    assert len(first) == 10
    _check_exactly_once([d], first)

    calls["n"] = -100  # a non-retryable database error still fails the request (and the device resends)

    def broken(*a, **kw):
        raise OperationalError("SELECT", {}, Exception("connection lost"))

    monkeypatch.setattr(sync_service, name, broken)
    d.queue("barcode.assign", {"product_id": products[0].id, "code": "AFTER-1"})
    d.queue("barcode.assign", {"product_id": products[1].id, "code": "AFTER-2"})
    r = d.api.post("/api/v1/sync/push", json={"device_id": d.id, "ops": d.outbox[-2:]})
    assert r.status_code == 500
