"""Expenses: category, amount (cents), optional attachment; optimistic locking; bad input refused."""
from __future__ import annotations

import io

from PIL import Image

from backend.extensions import db
from backend.models.finance import Expense
from tests.factories import ok


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (40, 20), 180).save(buf, "PNG")
    return buf.getvalue()


PNG = _png()


def test_record_an_expense_attach_a_receipt_and_edit_it(world, login):
    clerk = login("finance")
    exp = ok(clerk.post("/api/v1/expenses", json={"category": "运费", "amount": "123.445", "payee": "顺丰速运",
                                                  "expense_date": "2026-11-20", "warehouse_id": world.warehouse.id}),
             201)
    assert exp["number"].startswith("EXP-") and exp["amount"] == "123.45"  # half up to cents (not half even)
    r = clerk.put(f"/api/v1/expenses/{exp['id']}/attachment?version={exp['version']}",
                  data={"file": (io.BytesIO(PNG), "receipt.png")}, content_type="multipart/form-data")
    exp = ok(r)
    assert (exp["attachment_name"], exp["attachment_type"]) == ("receipt.png", "image/png")
    r = clerk.get(f"/api/v1/expenses/{exp['id']}/attachment")
    assert r.status_code == 200 and r.mimetype == "image/png" and len(r.data) == exp["attachment_size"]
    # kept re-encoded (docs/security.md): the same pixels
    assert Image.open(io.BytesIO(r.data)).tobytes() == Image.open(io.BytesIO(PNG)).tobytes()
    exp = ok(clerk.patch(f"/api/v1/expenses/{exp['id']}", json={"version": exp["version"], "amount": "100"}))
    assert exp["amount"] == "100.00"
    r = clerk.patch(f"/api/v1/expenses/{exp['id']}", json={"version": exp["version"] - 1, "amount": "1"})
    assert r.status_code == 409 and r.get_json()["code"] == "stale_version"
    page = ok(clerk.get("/api/v1/expenses?category=运费"))
    assert page["total"] == 1 and page["items"][0]["amount"] == "100.00"
    assert ok(clerk.get("/api/v1/expenses/categories"))["items"] == ["运费"]
    assert clerk.delete(f"/api/v1/expenses/{exp['id']}?version={exp['version']}").status_code == 204
    assert db.session.query(Expense).count() == 0


def test_bad_expenses_and_attachments_are_refused(world, login):
    clerk = login("finance")
    for body in ({"category": "运费"}, {"category": "", "amount": "1"}, {"category": "x", "amount": "0"},
                 {"category": "x", "amount": "-3"}, {"category": "x", "amount": "1", "supplier_id": 99999},
                 {"category": "x" * 51, "amount": "1"}, {"category": "x", "amount": "1", "expense_date": "yesterday"}):
        r = clerk.post("/api/v1/expenses", json=body)
        assert r.status_code == 422, (body, r.status_code)
    assert db.session.query(Expense).count() == 0
    exp = ok(clerk.post("/api/v1/expenses", json={"category": "房租", "amount": "5000"}), 201)
    r = clerk.put(f"/api/v1/expenses/{exp['id']}/attachment?version={exp['version']}",
                  data={"file": (io.BytesIO(b"MZ\x90\x00 not a receipt"), "virus.exe")},
                  content_type="multipart/form-data")
    assert r.status_code == 415 and r.get_json()["code"] == "unsupported_media_type"
    r = clerk.put(f"/api/v1/expenses/{exp['id']}/attachment?version={exp['version']}")
    assert r.status_code == 422
    assert clerk.get(f"/api/v1/expenses/{exp['id']}/attachment").status_code == 404
    assert ok(clerk.get(f"/api/v1/expenses/{exp['id']}"))["version"] == exp["version"]
