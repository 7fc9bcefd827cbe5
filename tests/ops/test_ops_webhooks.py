"""Webhooks: admin CRUD, events written with the change (outbox), signed delivery, retries, delivery log."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from backend.context import Actor, acting_as
from backend.extensions import db
from backend.models.base import utcnow
from backend.models.ops import WebhookDelivery
from backend.services import webhooks


def ok(r, status=200):
    assert r.status_code == status, (r.status_code, r.get_json(silent=True))
    return r.get_json(silent=True)


def deliveries(**where):
    db.session.commit()
    stmt = select(WebhookDelivery).order_by(WebhookDelivery.id)
    for k, v in where.items():
        stmt = stmt.where(getattr(WebhookDelivery, k) == v)
    return list(db.session.scalars(stmt))


@pytest.fixture
def hook(admin, receiver):
    return ok(admin.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["*"]}), 201)


# ---------------------------------------------------------------- subscriptions

def test_admin_creates_a_webhook_and_gets_a_generated_secret_once(admin, receiver):
    h = ok(admin.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["product.*", "stock.moved"],
                                                "description": "ERP"}), 201)
    assert h["secret"].startswith("whsec_") and len(h["secret"]) > 30
    listed = ok(admin.get("/api/v1/webhooks"))
    assert listed["total"] == 1 and "secret" not in listed["items"][0]
    assert listed["items"][0]["secret_hint"] == "…" + h["secret"][-4:]
    h2 = ok(admin.patch(f"/api/v1/webhooks/{h['id']}", json={"version": h["version"], "rotate_secret": True,
                                                                "events": ["supplier.created"]}))
    assert h2["secret"] != h["secret"] and h2["events"] == ["supplier.created"]
    ok(admin.delete(f"/api/v1/webhooks/{h['id']}?version={h2['version']}"), 204)
    assert ok(admin.get("/api/v1/webhooks"))["total"] == 0


@pytest.mark.parametrize("body, field", [
    ({"url": "ftp://example.com/x"}, "url"),
    ({"url": "not a url"}, "url"),
    ({"url": "https://example.com/h", "events": ["Product Created"]}, "events"),
    ({"url": "https://example.com/h", "events": []}, "events"),
    ({"url": "https://example.com/h", "secret": "short"}, "secret"),
])
def test_bad_webhook_definitions_are_refused_with_422(admin, body, field):
    r = admin.post("/api/v1/webhooks", json=body)
    assert r.status_code == 422 and field in json.dumps(r.get_json()["errors"]), r.get_json()


def test_only_system_admins_manage_webhooks(login):
    for role in ("manager", "purchaser", "finance"):
        api = login(role)
        assert api.get("/api/v1/webhooks").status_code == 403
        r = api.post("/api/v1/webhooks", json={"url": "https://example.com/h"})
        assert r.status_code == 403 and r.get_json()["code"] == "forbidden"


def test_event_catalogue_lists_generic_entity_events(admin):
    items = ok(admin.get("/api/v1/webhooks/events"))["items"]
    assert {"product.created", "product.updated", "supplier.deleted", "stock.moved", "webhook.ping"} <= set(items)
    assert not any(i.startswith(("webhook_delivery.", "user_session.")) for i in items)


def test_event_names_derive_from_entity_and_action():
    assert webhooks.event_name("purchase_orders", "approve") == "purchase_order.approved"
    assert webhooks.event_name("sales_orders", "ship") == "sales_order.shipped"
    assert webhooks.event_name("stocktakes", "submit") == "stocktake.submitted"
    assert webhooks.event_name("transfers", "cancel") == "transfer.cancelled"
    assert webhooks.event_name("products", "create") == "product.created"
    assert webhooks.event_name("categories", "partially_receive") == "category.partially_received"
    assert webhooks.matches(["product.*"], "product.updated") and not webhooks.matches(["product.*"], "stock.moved")


# ---------------------------------------------------------------- outbox

def test_creating_a_product_queues_a_product_created_event_in_the_same_transaction(admin, hook):
    p = ok(admin.post("/api/v1/products", json={"sku": "A-1", "name": "十字螺丝刀", "sale_price": "12.50"}), 201)
    rows = deliveries(event="product.created")
    assert len(rows) == 1 and rows[0].status == "pending" and rows[0].webhook_id == hook["id"]
    payload = rows[0].payload
    assert payload["entity"] == "products" and payload["entity_id"] == str(p["id"])
    assert payload["data"]["after"]["sku"] == "A-1" and payload["data"]["after"]["sale_price"] == "12.5000"
    assert payload["actor"]["username"] == admin.user["username"]
    # barcodes created with it are events too
    assert deliveries(event="barcode.created")


def test_a_refused_change_emits_nothing(admin, hook, make_product):
    make_product(sku="DUP")
    before = len(deliveries())
    r = admin.post("/api/v1/products", json={"sku": "DUP", "name": "again"})
    assert r.status_code == 409
    assert len(deliveries()) == before


def test_updates_and_labelled_actions_emit_their_own_event_names(admin, hook, make_product):
    from backend.services import catalog
    from backend.services.audit import audit_action
    from backend.services.uow import transaction

    p = make_product(sku="U-1")
    ok(admin.patch(f"/api/v1/products/{p.id}", json={"version": p.version, "sale_price": "20"}))
    upd = deliveries(event="product.updated")
    assert upd and upd[-1].payload["data"]["after"] == {"sale_price": "20.0000"}
    with acting_as(Actor(None, "test", "cli")), transaction():
        obj = catalog.crud.get_or_404(catalog.Product, p.id)
        obj.is_active = False
        audit_action(obj, "approve", comment="ok")
    assert deliveries(event="product.approved")


def test_stock_moves_emit_stock_moved(hook, make_product, make_warehouse):
    from backend.services.ledger import MoveSpec, post

    p, w = make_product(), make_warehouse()
    with acting_as(Actor(None, "test", "cli")):
        post([MoveSpec(p.id, w.id, Decimal(5), "receipt", unit_cost=Decimal("3.25"))])
    rows = deliveries(event="stock.moved")
    assert len(rows) == 1
    data = rows[0].payload["data"]
    assert data["product_id"] == p.id and data["warehouse_id"] == w.id and data["quantity"] == "5.0000"
    assert data["kind"] == "receipt" and data["balance_after"] == "5.0000"


def test_subscriptions_filter_events_and_inactive_hooks_get_nothing(admin, receiver, make_product, make_supplier):
    sup = ok(admin.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["supplier.*"]}), 201)
    off = ok(admin.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["*"], "is_active": False}), 201)
    make_product()
    make_supplier()
    rows = deliveries()
    assert [r.event for r in rows] == ["supplier.created"] and rows[0].webhook_id == sup["id"]
    assert not deliveries(webhook_id=off["id"])


def test_no_webhooks_means_no_outbox_rows(make_product):
    make_product()
    assert deliveries() == []


# ---------------------------------------------------------------- delivery

def test_worker_posts_signed_events_and_logs_the_delivery(app, admin, hook, receiver):
    ok(admin.post("/api/v1/suppliers", json={"code": "S-9", "name": "上海五金"}), 201)
    result = app.test_cli_runner().invoke(args=["webhooks-deliver", "--once"])
    assert result.exit_code == 0 and "delivered 1" in result.output, result.output
    assert receiver.events() == ["supplier.created"]
    req = receiver.requests[0]
    ts, sig = req["headers"]["X-JXC-Timestamp"], req["headers"]["X-JXC-Signature"]
    expected = hmac.new(hook["secret"].encode(), ts.encode() + b"." + req["body"], hashlib.sha256).hexdigest()
    assert sig == f"sha256={expected}"
    assert abs(int(ts) - int(utcnow().timestamp())) < 60
    assert req["headers"]["X-JXC-Event"] == "supplier.created"
    assert req["json"]["data"]["after"]["name"] == "上海五金" and req["json"]["id"] == req["headers"]["X-JXC-Event-Id"]
    log = ok(admin.get(f"/api/v1/webhooks/{hook['id']}/deliveries"))
    assert log["total"] == 1
    d = log["items"][0]
    assert d["status"] == "delivered" and d["attempts"] == 1 and d["response_status"] == 200
    assert d["delivered_at"] and d["duration_ms"] is not None
    # nothing is sent twice
    app.test_cli_runner().invoke(args=["webhooks-deliver", "--once"])
    assert len(receiver.requests) == 1


def test_failed_deliveries_are_retried_with_exponential_backoff_then_given_up(app, admin, hook, receiver,
                                                                             make_supplier):
    receiver.status = 500
    make_supplier()
    t0 = utcnow()
    assert webhooks.deliver_due() == {"delivered": 0, "retry": 1, "failed": 0, "skipped": 0}
    (d,) = deliveries()
    assert d.status == "pending" and d.attempts == 1 and d.response_status == 500 and d.error == "HTTP 500"
    assert timedelta(seconds=25) < d.next_attempt_at - t0 < timedelta(seconds=40)  # 30 s
    assert webhooks.deliver_due()["retry"] == 0  # not due yet: nothing sent
    assert len(receiver.requests) == 1
    db.session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    t1 = utcnow()
    webhooks.deliver_due()
    (d,) = deliveries()
    assert d.attempts == 2 and timedelta(seconds=55) < d.next_attempt_at - t1 < timedelta(seconds=70)  # 60 s
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 3
    try:
        db.session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        assert webhooks.deliver_due()["failed"] == 1
    finally:
        app.config.pop("WEBHOOK_MAX_ATTEMPTS")
    (d,) = deliveries()
    assert d.status == "failed" and d.attempts == 3
    failed = ok(admin.get(f"/api/v1/webhooks/{hook['id']}/deliveries?status=failed"))
    assert failed["total"] == 1
    # the receiver is fixed: an admin sends it again
    receiver.status = 204
    ok(admin.post(f"/api/v1/webhooks/{hook['id']}/deliveries/{d.id}/retry"), 202)
    assert webhooks.deliver_due()["delivered"] == 1
    assert deliveries()[0].status == "delivered"


def test_an_unreachable_receiver_is_a_failed_attempt_not_a_crash(admin, make_supplier):
    h = ok(admin.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/nothing-listens"}), 201)
    make_supplier()
    assert webhooks.deliver_due()["retry"] == 1
    (d,) = deliveries(webhook_id=h["id"])
    assert d.response_status is None and d.error and d.status == "pending"


def test_ping_queues_a_test_event(admin, hook, receiver):
    d = ok(admin.post(f"/api/v1/webhooks/{hook['id']}/ping"), 202)
    assert d["event"] == "webhook.ping" and d["status"] == "pending"
    webhooks.deliver_due()
    assert receiver.events() == ["webhook.ping"]
    assert admin.post("/api/v1/webhooks/999999/ping").status_code == 404
    assert admin.get("/api/v1/webhooks/999999/deliveries").status_code == 404
    assert admin.post(f"/api/v1/webhooks/{hook['id']}/deliveries/999/retry").status_code == 404


def test_deleting_a_webhook_removes_its_queue(admin, hook, make_supplier):
    make_supplier()
    assert deliveries()
    h = ok(admin.get(f"/api/v1/webhooks/{hook['id']}"))
    ok(admin.delete(f"/api/v1/webhooks/{hook['id']}?version={h['version']}"), 204)
    assert deliveries() == []
