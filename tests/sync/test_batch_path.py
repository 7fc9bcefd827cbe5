"""The batch path (backend.sync.batch) writes exactly what the one-by-one path writes.

The same outbox — applied, refused and pending ops, locations, pack barcodes, a level born inside the
batch, a line naming a code assigned earlier in the batch — is pushed once with SYNC_BATCH_PATH off and
once with it on, each time into the same fresh world; the answers and every row written (documents,
lines, moves, levels, barcodes, op records, audit records, change log, counters, webhook outbox) must be
the same, ids compared by creation order (the paths may leave different gaps) and timestamps left out.
"""
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from backend.context import Actor, acting_as
from backend.extensions import db
from backend.models.audit import AuditLog
from backend.models.catalog import Barcode, Counter
from backend.models.inventory import Adjustment, AdjustmentLine, StocktakeCount
from backend.models.ledger import StockLevel, StockMove
from backend.models.ops import WebhookDelivery
from backend.models.sync import SyncChange, SyncOp
from backend.models.warehouses import Location
from backend.services import crud, stocktakes, webhooks
from backend.sync.batch import Batch
from tests.conftest import _truncate_all
from tests.factories import assert_ledger_ok, stock_in
from tests.sync.sync_helpers import Device, op

PAST = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)  # the same counts in both runs
VOLATILE = {"created_at", "updated_at", "at", "synced_at", "posted_at", "changed_at", "request_id", "client_time",
            "last_push_at", "next_attempt_at", "event_id", "payload_hash", "received_at"}


def _world(make_user, make_warehouse, make_product):
    with acting_as(Actor(None, "test", "cli")):
        webhooks.create_webhook({"url": "http://127.0.0.1:9/hook", "events": ["*"]})
        wa, wb = make_warehouse(code="WA"), make_warehouse(code="WB")
        la = crud.create(Location, {"warehouse_id": wa.id, "code": "A-01", "name": "A-01"})
        lb = crud.create(Location, {"warehouse_id": wb.id, "code": "B-01", "name": "B-01"})
    p1, p2, p3 = (make_product(sku=f"DIFF-{i}", purchase_price="7.5") for i in (1, 2, 3))
    stock_in(p1, wa, 20, cost="10")
    stock_in(p2, wa, 5, cost="4")
    make_user("warehouse", username="phone-diff")
    with acting_as(Actor(None, "test", "cli")):
        st = stocktakes.open_stocktake({"warehouse_id": wa.id}, None)
    st.created_at = PAST - timedelta(hours=1)  # the counts at PAST come after the opening (else refused)
    db.session.commit()
    p1_code = p1.barcodes[0].code
    return wa, wb, la, lb, p1, p2, p3, p1_code, st


def _outboxes(wa, wb, la, lb, p1, p2, p3, p1_code, st):
    def adj(pid=None, qty="1", reason="found", **line):
        ref = {"product_id": pid} if pid else {}
        return {"warehouse_id": wa.id, "reason": reason, "lines": [{**ref, "quantity": qty, **line}]}

    first = [
        ("stock.adjust", adj(p1.id, "3")),
        ("barcode.assign", {"product_id": p2.id, "code": "DIFF-CODE-1"}),
        ("stock.adjust", adj(p2.id, "-2", "damage")),
        ("stock.adjust", adj(p2.id, "-50", "damage")),  # not enough stock: rejected
        ("barcode.assign", {"product_id": p3.id, "code": "DIFF-CODE-1"}),  # assigned just before: rejected
        ("stock.adjust", adj(p3.id, "1000", unit_cost="10")),  # 10,000 > threshold: pending approval
        ("stock.adjust", adj(p1.id, "2", location_id=la.id)),
        ("stock.adjust", adj(p1.id, "1", location_id=lb.id)),  # another warehouse's location: rejected
        ("stock.adjust", adj(99999, "1")),  # unknown product: rejected
        ("barcode.assign", {"product_id": 99999, "code": "DIFF-CODE-2"}),  # unknown product: rejected
        ("stock.adjust", adj(None, "1", barcode=p1_code)),  # a line by an existing barcode
        ("stock.adjust", adj(p1.id, "-1", "found")),  # wrong sign for the reason: rejected
        ("barcode.assign", {"product_id": p1.id, "code": "DIFF-PACK", "quantity": "6"}),
        ("stock.adjust", adj(p3.id, "4")),  # first stock of p3 here: the level is born in the batch
        ("stock.adjust", adj(p3.id, "-1", "damage")),  # … and used at once
        ("stock.adjust", {"warehouse_id": wa.id, "lines": [{"product_id": p1.id, "quantity": "1"}]}),  # no reason
        ("stock.adjust", {**adj(p2.id, "2"), "note": "x" * 600}),  # the move keeps 500 characters of the note
    ]
    past = PAST.isoformat()

    def count(qty, **kw):
        return {"stocktake_id": st.id, "quantity": qty, "counted_at": past, **kw}

    third = [
        ("stocktake.count", count("5", product_id=p1.id)),
        ("stocktake.count", count("2", product_id=p1.id, location_id=la.id)),
        ("stocktake.count", count("1", product_id=p1.id, location_id=lb.id)),  # other warehouse: rejected
        ("stocktake.count", count("3", barcode="DIFF-PACK")),  # 3 packs of 6
        ("stocktake.count", count("1", product_id=p2.id,
                                  counted_at=(PAST + timedelta(days=2)).isoformat())),  # future: rejected
        ("stocktake.count", count("1", stocktake_id=99999, product_id=p2.id)),  # unknown stocktake: rejected
        ("stocktake.count", count("7", product_id=p1.id, mode="replace")),  # replaces: one by one
        ("stocktake.count", count("4", product_id=p3.id)),
        ("barcode.assign", {"product_id": p3.id, "code": "DIFF-COUNT"}),
        ("stocktake.count", count("2", barcode="DIFF-COUNT")),  # a code of this run: cut, one by one
        ("stocktake.count", count("1", product_id=p2.id)),
        ("stocktake.count", count("1", product_id=p2.id,
                                  counted_at=(PAST - timedelta(hours=2)).isoformat())),  # before opening: rejected
    ]
    second = [
        ("barcode.assign", {"product_id": p2.id, "code": "DIFF-NEW"}),
        ("stock.adjust", adj(None, "2", barcode="DIFF-NEW")),  # names a code of this batch: one by one
        ("stock.adjust", adj(None, "2", barcode="DIFF-PACK")),  # a pack of 6: 12 units
        ("stock.adjust", adj(p2.id, "1")),
    ]
    seq = 0
    out = []
    for part in (first, second, third):
        ops = []
        for t, p in part:
            seq += 1
            ops.append(op(seq, t, p, op_id=f"00000000-0000-4000-8000-{seq:012d}"))
        out.append(ops)
    return out


def _ranks(model) -> dict[int, int]:
    ids = db.session.scalars(select(model.id).order_by(model.id)).all()
    return {i: k + 1 for k, i in enumerate(ids)}


def _snapshot() -> dict:
    db.session.commit()
    ids = {m.__tablename__: _ranks(m) for m in (Adjustment, AdjustmentLine, StockMove, Barcode, SyncOp,
                                                  StocktakeCount)}
    ref_cols = {"adjustment_id": "adjustments", "move_id": "stock_moves", "barcode_id": "barcodes",
                "doc_line_id": "adjustment_lines", "count_id": "stocktake_counts"}

    def remap(table: str, row: dict, top: bool = True) -> dict:
        out = {}
        for k, v in row.items():
            if k in VOLATILE:
                continue
            if v is not None and k == "id" and top and table in ids:
                v = ids[table][v]
            elif v is not None and k in ref_cols:
                v = ids[ref_cols[k]].get(int(v), "?")
            elif v is not None and k == "doc_id" and row.get("doc_type") == "adjustment":
                v = ids["adjustments"][v]
            elif isinstance(v, dict):  # JSON: results name documents by id
                v = remap(table, v, top=False)
            elif isinstance(v, Decimal):
                v = str(v.normalize())
            out[k] = v
        return out

    def rows(model, order):
        return [remap(model.__tablename__, dict(r._mapping))
                for r in db.session.execute(select(model.__table__).order_by(*order))]

    audit = []
    for a in db.session.scalars(select(AuditLog).where(AuditLog.source == "sync")):  # the world is set up alike
        changes = {side: remap(a.entity, dict(a.changes.get(side) or {})) for side in ("before", "after")}
        changes["details"] = a.changes.get("details")
        eid = ids[a.entity][int(a.entity_id)] if a.entity in ids else a.entity_id
        audit.append(json.dumps([a.entity, eid, a.action, a.username, a.source, changes], sort_keys=True,
                                default=str))
    return {
        "adjustments": rows(Adjustment, [Adjustment.id]),
        "adjustment_lines": rows(AdjustmentLine, [AdjustmentLine.id]),
        "stock_moves": rows(StockMove, [StockMove.id]),
        "stock_levels": rows(StockLevel, [StockLevel.product_id, StockLevel.warehouse_id]),
        "barcodes": rows(Barcode, [Barcode.id]),
        "stocktake_counts": rows(StocktakeCount, [StocktakeCount.id]),
        "sync_ops": rows(SyncOp, [SyncOp.seq]),
        "audit": sorted(audit),
        "changes": sorted((c.entity, ids["barcodes"][c.entity_id] if c.entity == "barcode" else c.entity_id)
                          for c in db.session.scalars(select(SyncChange))),
        "counters": sorted((c.name, c.value) for c in db.session.scalars(select(Counter))),
        "outbox": sorted((d.event, d.payload["entity"], d.payload["action"])
                         for d in db.session.scalars(select(WebhookDelivery))),
    }


def _ranked(answers: list[dict]) -> list[dict]:
    """Ids in results by creation order (PostgreSQL sequences keep the gaps of rolled-back inserts)."""
    ranks = {"adjustment_id": _ranks(Adjustment), "barcode_id": _ranks(Barcode), "count_id": _ranks(StocktakeCount)}
    return [{**a, "result": {k: ranks[k][v] if k in ranks else v for k, v in a["result"].items()}}
            if a.get("result") else a for a in answers]


@pytest.fixture
def run_outbox(app, make_user, make_warehouse, make_product, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")  # the hook below is on-premises

    def _run(batch_path: bool) -> tuple[list, dict, int]:
        _truncate_all()
        world = _world(make_user, make_warehouse, make_product)
        monkeypatch.setitem(app.config, "SYNC_BATCH_PATH", batch_path)
        flushes = {"n": 0}
        real = Batch.flush

        def counting(self):
            flushes["n"] += 1
            return real(self)

        monkeypatch.setattr(Batch, "flush", counting)
        from tests.conftest import ApiClient

        d = Device(ApiClient(app, "phone-diff"), "dev-diff")
        answers = []
        for ops in _outboxes(*world):
            body = d.push(ops)
            answers.extend({k: v for k, v in r.items()} for r in body["results"])
        assert_ledger_ok()
        rows = _snapshot()
        return _ranked(answers), rows, flushes["n"]

    return _run


def test_the_batch_path_writes_exactly_what_the_one_by_one_path_writes(run_outbox):
    one_answers, one_rows, one_flushes = run_outbox(False)
    batch_answers, batch_rows, batch_flushes = run_outbox(True)
    assert one_flushes == 0 and batch_flushes >= 5  # the second run really took the batch path
    assert batch_answers == one_answers
    statuses = [(a["status"], a.get("code"), (a.get("result") or {}).get("status")) for a in one_answers]
    assert statuses.count(("applied", None, "posted")) == 10
    assert ("applied", None, "pending_approval") in statuses
    assert {c for s, c, _ in statuses if s == "rejected"} == {"insufficient_stock", "duplicate", "validation_error",
                                                               "not_found", "counted_before_open"}
    assert sum(1 for a in one_answers if a["status"] == "applied" and "count_id" in a["result"]) == 7
    for table in one_rows:
        assert batch_rows[table] == one_rows[table], table
    assert one_rows["outbox"], "the webhook outbox is compared too"


def test_devices_pushing_batches_at_once_never_deadlock_and_apply_each_op_once(login, make_warehouse, make_product,
                                                                               device):
    """Four phones push runs of adjustments over the same products at the same time, starting on a day
    whose document counter does not exist yet: every push is answered 200 (no deadlock between the
    counter and the level locks), every op is applied once and the ledger adds up."""
    import threading

    from sqlalchemy import func

    wh = make_warehouse()
    products = [make_product() for _ in range(6)]
    for p in products:
        stock_in(p, wh, 100)
    devices = [device(login("warehouse")) for _ in range(4)]
    for k, d in enumerate(devices):
        for i in range(60):
            p = products[(i * 5 + k) % len(products)]
            if i % 4 == 3:
                d.queue("barcode.assign", {"product_id": p.id, "code": f"RACE-{k}-{i}"})
            else:
                d.queue("stock.adjust", {"warehouse_id": wh.id, "reason": "found" if i % 2 else "damage",
                                         "lines": [{"product_id": p.id, "quantity": "1" if i % 2 else "-1"}]})
    errors = []

    def run(d):
        try:
            for i in range(0, 60, 20):
                body = d.push(d.outbox[i:i + 20])
                assert all(r["status"] == "applied" for r in body["results"]), body["results"][:2]
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(d,)) for d in devices]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:2]
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(StockMove).where(StockMove.op_id.isnot(None))) == 180
    numbers = db.session.scalars(select(Adjustment.number)).all()
    assert len(numbers) == len(set(numbers)) == 180
    assert_ledger_ok()
