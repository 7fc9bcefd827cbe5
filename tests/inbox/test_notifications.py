"""Notifications: Web Push to a subscribed device (encrypted, decrypted here with the keys the test made),
who is told what, the user's choices, and the group-bot (DingTalk) markdown through the webhook outbox.
Network: only the stand-in push service on 127.0.0.1."""
from __future__ import annotations

import base64
import json
import os

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.factories import ok


def b64u(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Browser:
    """What a browser does for PushManager.subscribe: a P-256 key pair and a 16-byte auth secret."""

    def __init__(self, endpoint: str):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        pub = self.key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        self.json = {"endpoint": endpoint, "expirationTime": None, "keys": {"p256dh": b64u(pub), "auth": b64u(self.auth)}}

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


def deliver(app) -> str:
    res = app.test_cli_runner().invoke(args=["notifications-deliver", "--once"])
    assert res.exit_code == 0, res.output
    return res.output


def _po(login, make_supplier, make_warehouse, make_product):
    buyer = login("purchaser")
    po = ok(buyer.post("/api/v1/purchase-orders", json={
        "supplier_id": make_supplier().id, "warehouse_id": make_warehouse().id,
        "lines": [{"product_id": make_product().id, "quantity": "3", "unit_price": "7", "tax_rate": "0"}]}), 201)
    return buyer, po


def test_a_submitted_po_is_pushed_encrypted_to_the_approvers_device_after_commit(
        app, login, make_supplier, make_warehouse, make_product, push_service):
    boss = login("manager")
    key = ok(boss.get("/api/v1/notifications/push-key"))["public_key"]
    assert len(base64.urlsafe_b64decode(key + "==")) == 65  # an uncompressed P-256 point
    assert ok(boss.get("/api/v1/notifications/push-key"))["public_key"] == key  # kept, not made again
    phone = Browser(f"{push_service.base}/push/manager-phone")
    ok(boss.post("/api/v1/notifications/subscriptions", json=phone.json), 201)
    buyer, po = _po(login, make_supplier, make_warehouse, make_product)
    po = ok(buyer.post(f"/api/v1/purchase-orders/{po['id']}/submit", json={"version": po["version"]}))
    assert push_service.requests == []  # nothing is sent while the request runs: the worker sends it
    assert "sent 1" in deliver(app)
    [req] = push_service.requests
    assert req["path"] == "/push/manager-phone"
    assert req["headers"]["content-encoding"] == "aes128gcm"
    assert req["headers"]["authorization"].startswith("vapid t=") and f"k={key}" in req["headers"]["authorization"]
    msg = phone.decrypt(req["body"])
    assert po["number"] in msg["title"] and msg["kind"] == "approval_pending" and msg["url"] == "/#/approvals"
    assert msg["title"].startswith("待您审批")  # the manager's language (zh-CN by default)
    deliver(app)
    assert len(push_service.requests) == 1  # sent once


def test_the_submitter_is_told_the_decision_and_the_warehouse_that_it_is_ready(
        app, login, make_supplier, make_warehouse, make_product, make_user, push_service):
    buyer, po = _po(login, make_supplier, make_warehouse, make_product)
    buyer_phone, clerk_phone = Browser(f"{push_service.base}/push/buyer"), Browser(f"{push_service.base}/push/clerk")
    ok(buyer.post("/api/v1/notifications/subscriptions", json=buyer_phone.json), 201)
    clerk = login("warehouse")
    ok(clerk.post("/api/v1/notifications/subscriptions", json=clerk_phone.json), 201)
    po = ok(buyer.post(f"/api/v1/purchase-orders/{po['id']}/submit", json={"version": po["version"]}))
    po = ok(login("manager").post(f"/api/v1/purchase-orders/{po['id']}/approve", json={"version": po["version"]}))
    if po["status"] != "approved":
        po = ok(login("admin").post(f"/api/v1/purchase-orders/{po['id']}/approve", json={"version": po["version"]}))
    deliver(app)
    got = {r["path"]: (buyer_phone if r["path"].endswith("buyer") else clerk_phone).decrypt(r["body"])
           for r in push_service.requests}
    assert got["/push/buyer"]["kind"] == "decided" and "已通过" in got["/push/buyer"]["title"]
    assert got["/push/buyer"]["url"] == f"/#/po/{po['id']}"
    assert got["/push/clerk"]["kind"] == "ready" and got["/push/clerk"]["url"] == f"/#/receive/{po['id']}"


def test_a_kind_switched_off_is_not_sent_and_a_gone_device_is_forgotten(
        app, login, make_supplier, make_warehouse, make_product, push_service):
    boss = login("manager")
    ok(boss.post("/api/v1/notifications/subscriptions", json=Browser(f"{push_service.base}/push/a").json), 201)
    prefs = ok(boss.put("/api/v1/notifications/preferences", json={"kinds": {"approval_pending": False}}))
    assert prefs["kinds"]["approval_pending"] is False and prefs["kinds"]["decided"] is True and prefs["devices"] == 1
    r = boss.put("/api/v1/notifications/preferences", json={"kinds": {"bogus": True}})
    assert r.status_code == 422
    buyer, po = _po(login, make_supplier, make_warehouse, make_product)
    ok(buyer.post(f"/api/v1/purchase-orders/{po['id']}/submit", json={"version": po["version"]}))
    deliver(app)
    assert push_service.requests == []
    ok(boss.put("/api/v1/notifications/preferences", json={"kinds": {"approval_pending": True}}))
    _, po2 = _po(login, make_supplier, make_warehouse, make_product)
    ok(buyer.post(f"/api/v1/purchase-orders/{po2['id']}/submit", json={"version": po2["version"]}))
    push_service.status = 410  # the browser unsubscribed: the push service says Gone
    deliver(app)
    assert len(push_service.requests) == 1
    assert ok(boss.get("/api/v1/notifications/preferences"))["devices"] == 0


def test_a_refused_sync_op_is_pushed_to_its_user(app, login, make_warehouse, make_product, device, push_service):
    clerk = login("warehouse")
    phone = Browser(f"{push_service.base}/push/clerk")
    ok(clerk.post("/api/v1/notifications/subscriptions", json=phone.json), 201)
    dev = device(clerk)
    dev.queue("stock.adjust", {"warehouse_id": make_warehouse().id, "reason": "damage",
                               "lines": [{"product_id": make_product().id, "quantity": "-5"}]})
    assert dev.push()["results"][0]["status"] == "rejected"
    deliver(app)
    msg = phone.decrypt(push_service.requests[0]["body"])
    assert msg["kind"] == "sync_rejected" and "stock.adjust" in msg["title"] and msg["url"] == "/#/outbox"


def test_subscriptions_to_private_addresses_and_bad_keys_are_refused(login):
    boss = login("manager")
    r = boss.post("/api/v1/notifications/subscriptions", json=Browser("http://127.0.0.1:9/push/x").json)
    assert r.status_code == 422 and r.get_json()["code"] == "push_endpoint_refused"
    r = boss.post("/api/v1/notifications/subscriptions", json={"endpoint": "https://push.example.com/x", "keys": {}})
    assert r.status_code == 422


def test_the_low_stock_digest_is_queued_once_a_day_by_command(app, login, make_warehouse, make_product, push_service):
    from tests.factories import stock_in
    wh, p = make_warehouse(), make_product()
    sku = p.sku
    stock_in(p, wh, 2)
    boss = login("manager")
    ok(boss.put("/api/v1/reorder-points", json={"product_id": p.id, "warehouse_id": wh.id, "reorder_point": "5",
                                                "reorder_qty": "10"}))
    phone = Browser(f"{push_service.base}/push/m")
    ok(boss.post("/api/v1/notifications/subscriptions", json=phone.json), 201)
    res = app.test_cli_runner().invoke(args=["notifications-low-stock"])
    assert "1 notification" in res.output, res.output
    deliver(app)
    msg = phone.decrypt(push_service.requests[0]["body"])
    assert msg["kind"] == "low_stock" and sku in msg["body"] and msg["url"] == "/#/lowstock"


def test_a_dingtalk_bot_webhook_gets_a_markdown_message(app, login, make_supplier, make_warehouse, make_product,
                                                        push_service):
    from backend.services import webhooks
    admin = login("admin")
    ok(admin.post("/api/v1/webhooks", json={"url": f"{push_service.base}/robot/send?access_token=t",
                                            "events": ["sales_order.submitted", "purchase_order.submitted"],
                                            "format": "dingtalk"}), 201)
    buyer, po = _po(login, make_supplier, make_warehouse, make_product)
    ok(buyer.post(f"/api/v1/purchase-orders/{po['id']}/submit", json={"version": po["version"]}))
    push_service.status = 200
    assert webhooks.deliver_due()["delivered"] == 1
    [req] = push_service.requests
    body = json.loads(req["body"])
    assert req["path"] == "/robot/send?access_token=t"
    assert set(body) == {"msgtype", "markdown"} and body["msgtype"] == "markdown"
    assert set(body["markdown"]) == {"title", "text"}
    assert po["number"] in body["markdown"]["title"] and body["markdown"]["text"].startswith("#### 采购单")
    assert "7.00" not in body["markdown"]["text"]  # purchase amounts are costs: not in a group chat
    # DingTalk answers 200 with its own error code when the robot refuses (e.g. its keyword is missing)
    _, po2 = _po(login, make_supplier, make_warehouse, make_product)
    ok(buyer.post(f"/api/v1/purchase-orders/{po2['id']}/submit", json={"version": po2["version"]}))
    push_service.answer = b'{"errcode":310000,"errmsg":"keywords not in content"}'
    assert webhooks.deliver_due() == {"delivered": 0, "retry": 1, "failed": 0, "skipped": 0}
    last = ok(admin.get("/api/v1/webhooks"))["items"][0]
    deliveries = ok(admin.get(f"/api/v1/webhooks/{last['id']}/deliveries"))["items"]
    assert any("310000" in (d.get("error") or "") for d in deliveries), deliveries


def test_an_expense_over_the_threshold_tells_the_approver(app, login, push_service):
    boss = login("manager")
    phone = Browser(f"{push_service.base}/push/boss")
    ok(boss.post("/api/v1/notifications/subscriptions", json=phone.json), 201)
    ok(login("finance").post("/api/v1/expenses", json={"category": "rent", "amount": "120.00"}), 201)  # small
    exp = ok(login("finance").post("/api/v1/expenses", json={"category": "rent", "amount": "9000.00"}), 201)
    deliver(app)
    [req] = push_service.requests
    msg = phone.decrypt(req["body"])
    assert msg["kind"] == "approval_pending" and exp["number"] in msg["title"] and "9,000.00" in msg["body"]
