"""Webhooks: admin CRUD, events written with the change (outbox), signed delivery, retries, delivery log."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from backend.context import Actor, acting_as
from backend.extensions import db
from backend.models.base import utcnow
from backend.models.ops import WebhookDelivery
from backend.services import webhooks
from tests.factories import ok


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


def test_an_unreachable_receiver_is_a_failed_attempt_not_a_crash(admin, make_supplier, allow_loopback):
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


# ---------------------------------------------------------------- SSRF: only public addresses receive webhooks

PUBLIC_IP = "93.184.216.34"


@pytest.fixture
def fake_dns(monkeypatch):
    """``fake_dns["name"] = "10.0.0.5"`` (or a list, or a callable returning one): what the name resolves to.
    Other names resolve as usual."""
    import socket

    table: dict = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if isinstance(host, bytes):
            host = host.decode()
        if host not in table:
            return real(host, port, family, type, proto, flags)
        answer = table[host]
        answer = answer() if callable(answer) else answer
        out = []
        for ip in [answer] if isinstance(answer, str) else answer:
            fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
            addr = (ip, int(port or 0), 0, 0) if fam == socket.AF_INET6 else (ip, int(port or 0))
            out.append((fam, socket.SOCK_STREAM, 6, "", addr))
        return out

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


def _hook_row(url: str) -> int:
    """A webhook written straight into the table (registered before the address check existed)."""
    from backend.models.ops import Webhook

    with acting_as(Actor(None, "test", "cli")):
        h = webhooks.crud.create(Webhook, {"url": url, "events": ["*"], "secret": "s" * 20})
    db.session.commit()
    return h.id


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/",          # cloud metadata (link-local)
    "http://[fe80::1]/h",                                 # IPv6 link-local
    "http://10.0.0.1/h", "http://172.16.5.4/h", "http://192.168.1.1/h",  # private
    "http://[fd00::1]/h",                                 # IPv6 unique local
    "http://100.64.0.1/h",                                # shared address space (carrier NAT)
    "http://127.0.0.1:8080/h", "http://localhost/h", "http://[::1]/h",  # loopback
    "http://[::ffff:7f00:1]/h", "http://[0:0:0:0:0:ffff:a9fe:a9fe]/h",  # IPv4-mapped IPv6
    "http://[2002:7f00:1::]/h",                           # 6to4 wrapping 127.0.0.1
    "http://[64:ff9b::a9fe:a9fe]/h",                      # NAT64 wrapping 169.254.169.254
    "http://0.0.0.0/h", "http://[::]/h",                  # unspecified
    "http://2130706433/h", "http://017700000001/h", "http://0x7f000001/h",  # decimal / octal / hex 127.0.0.1
    "http://224.0.0.1/h", "http://[ff02::1]/h",           # multicast
    "http://240.0.0.1/h", "http://255.255.255.255/h",     # reserved, broadcast
    "http://does-not-resolve.invalid/h",                  # nothing to check
    "http://93.184.216.34:99999/h",                       # no such port (a 500 in the check, not a 422)
])
def test_webhook_urls_on_non_public_addresses_are_refused_with_422(admin, url):
    r = admin.post("/api/v1/webhooks", json={"url": url, "events": ["*"]})
    body = r.get_json()
    assert r.status_code == 422 and body["code"] == "webhook_target_refused" and "url" in body["errors"], body
    zh = admin.post("/api/v1/webhooks", json={"url": url}, headers={"Accept-Language": "zh-CN"}).get_json()
    assert zh["code"] == "webhook_target_refused" and "Webhook" in zh["message"] and zh["message"] != body["message"]
    assert ok(admin.get("/api/v1/webhooks"))["total"] == 0


def test_a_dns_name_resolving_to_a_private_address_is_refused_and_so_is_a_patch_to_it(admin, fake_dns):
    fake_dns["intranet.example.com"] = ["93.184.216.34", "10.1.2.3"]  # one bad address is enough
    r = admin.post("/api/v1/webhooks", json={"url": "https://intranet.example.com/h"})
    assert r.status_code == 422 and "10.1.2.3" in json.dumps(r.get_json()["errors"]), r.get_json()
    fake_dns["erp.example.com"] = PUBLIC_IP
    h = ok(admin.post("/api/v1/webhooks", json={"url": "https://erp.example.com/h"}), 201)
    r = admin.patch(f"/api/v1/webhooks/{h['id']}", json={"version": h["version"], "url": "http://[::1]:80/x"})
    assert r.status_code == 422 and r.get_json()["code"] == "webhook_target_refused"
    assert ok(admin.get(f"/api/v1/webhooks/{h['id']}"))["url"] == "https://erp.example.com/h"


def test_the_allow_list_admits_on_premises_networks_and_names_but_not_metadata_addresses(app, admin, fake_dns,
                                                                                         monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", "10.0.0.0/8, erp.shop.lan, *.corp.lan")
    fake_dns["erp.shop.lan"] = "192.168.7.7"
    fake_dns["books.corp.lan"] = "192.168.7.8"
    fake_dns["evil.corp.lan"] = "169.254.169.254"
    for url in ("http://10.20.30.40:8080/h", "http://erp.shop.lan/h", "https://books.corp.lan/h"):
        ok(admin.post("/api/v1/webhooks", json={"url": url}), 201)
    for url in ("http://192.168.7.7/h", "http://127.0.0.1/h", "http://evil.corp.lan/h", "http://x.erp.shop.lan/h"):
        r = admin.post("/api/v1/webhooks", json={"url": url})
        assert r.status_code == 422, (url, r.get_json())


def test_the_worker_refuses_to_send_to_a_non_public_address_stored_earlier(app, receiver, make_supplier,
                                                                          monkeypatch):
    hid = _hook_row(receiver.url)
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", "")  # the allow-list no longer has it
    make_supplier()
    assert webhooks.deliver_due()["retry"] == 1
    assert receiver.requests == []
    (d,) = deliveries(webhook_id=hid)
    assert d.status == "pending" and d.response_status is None and "127.0.0.1" in d.error and "loopback" in d.error


def test_a_name_rebound_to_loopback_after_registration_gets_nothing(app, admin, receiver, fake_dns, make_supplier,
                                                                    monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", "")
    port = receiver.url.split(":")[2].split("/")[0]
    fake_dns["hooks.partner.example"] = PUBLIC_IP
    h = ok(admin.post("/api/v1/webhooks", json={"url": f"http://hooks.partner.example:{port}/hook"}), 201)
    fake_dns["hooks.partner.example"] = "127.0.0.1"  # the attacker changes the DNS record
    make_supplier()
    webhooks.deliver_due()
    assert receiver.requests == []
    (d,) = deliveries(webhook_id=h["id"])
    assert "loopback" in d.error


def test_the_connection_goes_to_the_address_that_was_checked(app, receiver, fake_dns, make_supplier, monkeypatch):
    """No DNS-rebinding window: the first answer is checked and pinned; a second lookup would say loopback."""
    import socket

    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", "")
    port = int(receiver.url.split(":")[2].split("/")[0])
    answers = iter([PUBLIC_IP])
    fake_dns["rebind.partner.example"] = lambda: next(answers, "127.0.0.1")
    hid = _hook_row(f"http://rebind.partner.example:{port}/hook")
    connected = []
    real = socket.create_connection

    def create_connection(address, *args, **kw):
        connected.append(tuple(address[:2]))
        if address[0] != "127.0.0.1":  # never leave the machine in a test
            raise ConnectionRefusedError(111, "refused by the test")
        return real(address, *args, **kw)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    make_supplier()
    webhooks.deliver_due()
    assert receiver.requests == []
    assert connected == [(PUBLIC_IP, port)]
    (d,) = deliveries(webhook_id=hid)
    assert d.status == "pending" and "ConnectionRefusedError" in d.error


def test_the_pinned_connection_keeps_the_host_name_in_the_host_header(app, receiver, fake_dns, make_supplier,
                                                                      monkeypatch):
    port = int(receiver.url.split(":")[2].split("/")[0])
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", "hooks.shop.lan")
    fake_dns["hooks.shop.lan"] = "127.0.0.1"
    _hook_row(f"http://hooks.shop.lan:{port}/hook")
    make_supplier()
    assert webhooks.deliver_due()["delivered"] == 1
    assert receiver.requests[0]["headers"]["Host"] == f"hooks.shop.lan:{port}"


def test_only_a_short_text_excerpt_of_the_answer_is_kept(admin, hook, receiver, make_supplier):
    receiver.body = ("secret-line " * 500).encode()
    make_supplier()
    webhooks.deliver_due()
    receiver.body, receiver.content_type = bytes(range(256)) * 20, "application/octet-stream"
    make_supplier()
    webhooks.deliver_due()
    log = ok(admin.get(f"/api/v1/webhooks/{hook['id']}/deliveries"))["items"]
    text_answer, binary_answer = log[1], log[0]
    assert text_answer["status"] == "delivered" and 0 < len(text_answer["response_body"]) <= 200
    assert text_answer["response_body"].startswith("secret-line")
    assert binary_answer["status"] == "delivered" and binary_answer["response_body"] is None
    assert all(len(d.response_body or "") <= 200 for d in deliveries())


def test_redirects_are_not_followed(admin, hook, receiver, make_supplier):
    """Guard (already true before the SSRF fix): a 3xx is a failed attempt, its Location is never fetched."""
    receiver.status, receiver.headers = 302, {"Location": "http://169.254.169.254/latest/meta-data/"}
    make_supplier()
    assert webhooks.deliver_due()["retry"] == 1
    (d,) = deliveries()
    assert d.response_status == 302 and d.error == "HTTP 302" and len(receiver.requests) == 1


def test_two_workers_deliver_each_event_exactly_once_even_when_a_lease_runs_out(app, admin, hook, receiver,
                                                                               make_supplier, monkeypatch):
    """A worker claims a batch; the receiver is slow, so the leases of its last rows run out and another worker
    claims them. The first worker must then leave those rows alone (it used to send them a second time)."""
    import threading

    monkeypatch.setitem(app.config, "WEBHOOK_LEASE_SECONDS", 1)
    receiver.delay = 0.3
    for _ in range(8):
        make_supplier()
    assert len(deliveries()) == 8
    results, start = [], threading.Barrier(2)

    def worker(offset):
        with app.app_context():
            start.wait()
            time.sleep(offset)
            for _ in range(12):
                results.append(webhooks.deliver_due())
                db.session.remove()
                if not any(d.status == "pending" for d in deliveries()):
                    break
                time.sleep(0.25)
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(o,)) for o in (0, 0.1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    sent = [r["json"]["id"] for r in receiver.requests]
    assert len(sent) == len(set(sent)) == 8, sorted(sent)
    assert {d.status for d in deliveries()} == {"delivered"} and all(d.attempts == 1 for d in deliveries())
