"""Concurrent decisions on the same order: exactly one wins, the other gets a clean 409."""
import threading

from sqlalchemy import func, select

from backend.extensions import db
from backend.models.approvals import Approval
from backend.models.ledger import StockMove
from backend.models.purchasing import GoodsReceipt
from tests.factories import ok

PO = "/api/v1/purchase-orders"


def _race(calls):
    """Run the request callables at the same moment in threads; return their responses."""
    barrier = threading.Barrier(len(calls))
    out = [None] * len(calls)

    def run(i, fn):
        barrier.wait()
        out[i] = fn()

    db.session.commit()
    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def test_two_managers_approving_the_same_order_at_once_exactly_one_wins(login, make_po):
    buyer = login("purchaser")
    bosses = [login("manager") for _ in range(4)]
    po = make_po(buyer)
    po = ok(buyer.post(f"{PO}/{po['id']}/submit", json={"version": po["version"]}))
    results = _race([lambda b=b: b.post(f"{PO}/{po['id']}/approve", json={"version": po["version"]})
                     for b in bosses])
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409, 409, 409], [r.get_json() for r in results]
    assert all(r.get_json()["code"] in ("stale_version", "invalid_transition") for r in results if r.status_code == 409)
    assert db.session.scalar(select(func.count()).select_from(Approval)) == 1
    final = ok(buyer.get(f"{PO}/{po['id']}"))
    assert final["status"] == "approved" and len(final["approvals"]) == 1


def test_approve_and_reject_racing_leave_one_decision(login, make_po):
    buyer, a, b = login("purchaser"), login("manager"), login("manager")
    po = make_po(buyer)
    po = ok(buyer.post(f"{PO}/{po['id']}/submit", json={"version": po["version"]}))
    results = _race([lambda: a.post(f"{PO}/{po['id']}/approve", json={"version": po["version"]}),
                     lambda: b.post(f"{PO}/{po['id']}/reject", json={"version": po["version"], "reason": "no"})])
    assert sorted(r.status_code for r in results) == [200, 409]
    final = ok(buyer.get(f"{PO}/{po['id']}"))
    assert final["status"] in ("approved", "rejected") and len(final["approvals"]) == 1


def test_two_receipts_of_the_whole_order_at_once_receive_it_once(approved_po, login):
    po, _, _ = approved_po([(0, "10", "5", "0")])
    stores = [login("warehouse") for _ in range(3)]
    body = {"version": po["version"], "lines": [{"line_id": po["lines"][0]["id"], "quantity": "10"}]}
    results = _race([lambda s=s: s.post(f"{PO}/{po['id']}/receive", json=body) for s in stores])
    assert sorted(r.status_code for r in results) == [201, 409, 409]
    assert db.session.scalar(select(func.count()).select_from(GoodsReceipt)) == 1
    assert db.session.scalar(select(func.sum(StockMove.quantity))) == 10
