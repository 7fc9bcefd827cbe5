"""Photo ops decoded at push time; rejected ops kept, listed, resolved by a corrected op or dismissed."""
import json
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import cv2
import numpy as np
from sqlalchemy import select

from backend.extensions import db
from backend.models.audit import AuditLog
from backend.models.catalog import Barcode
from tests.factories import on_hand
from tests.sync.sync_helpers import op

PHOTO = (Path(__file__).parent.parent / "scan" / "fixtures" / "ean13_clean.jpg").read_bytes()
PHOTO_CODE = "6901234567892"


def _blank() -> bytes:
    ok, buf = cv2.imencode(".png", np.full((240, 320), 200, np.uint8))
    return buf.tobytes()


def _push_multipart(api, device_id, ops, files):
    data = {"batch": json.dumps({"device_id": device_id, "ops": ops})}
    for name, blob in files.items():
        data[name] = (BytesIO(blob), f"{name}.jpg", "image/jpeg")
    return api.post("/api/v1/sync/push", data=data, content_type="multipart/form-data")


def test_a_barcode_photo_is_decoded_at_push_time_and_the_op_applied(login, make_warehouse, make_product):
    wh = make_warehouse()
    p = make_product(barcodes=[{"code": PHOTO_CODE}])
    q = make_product()
    api = login("warehouse")
    ops = [op(1, "stock.adjust", {"warehouse_id": wh.id, "reason": "found",
                                  "lines": [{"photo": "shot1", "quantity": "2"}]}),
           op(2, "barcode.assign", {"product_id": q.id, "photo": "shot2"})]
    r = _push_multipart(api, "phone-1", ops, {"shot1": PHOTO, "shot2": PHOTO})
    assert r.status_code == 200, r.get_json()
    res = r.get_json()["results"]
    assert res[0]["status"] == "applied" and res[0]["result"]["decoded"] == {"shot1": PHOTO_CODE}
    assert on_hand(p, wh) == Decimal(2)
    # the code already belongs to p: assigning it to q is refused, and the photo is kept for a person
    assert res[1]["status"] == "rejected" and res[1]["code"] == "duplicate" and res[1]["photo_kept"]
    again = _push_multipart(api, "phone-1", ops, {"shot1": PHOTO, "shot2": PHOTO}).get_json()["results"]
    assert [x["status"] for x in again] == ["duplicate", "duplicate"]
    assert on_hand(p, wh) == Decimal(2)


def test_an_unreadable_photo_is_rejected_kept_and_resolved_by_a_person(login, make_product):
    p = make_product()
    clerk, boss = login("warehouse"), login("manager")
    blank = _blank()
    ops = [op(1, "barcode.assign", {"product_id": p.id, "photo": "shot"})]
    r = _push_multipart(clerk, "phone-2", ops, {"shot": blank})
    (res,) = r.get_json()["results"]
    assert (res["status"], res["code"], res["photo_kept"]) == ("rejected", "unreadable_barcode", True)
    items = boss.get("/api/v1/sync/ops?status=rejected").get_json()["items"]
    assert len(items) == 1 and items[0]["has_photo"] and items[0]["payload"] == {"product_id": p.id, "photo": "shot"}
    assert items[0]["username"] == clerk.user["username"] and items[0]["device_id"] == "phone-2"
    assert items[0]["client_time"] and items[0]["synced_at"]
    detail = boss.get(f"/api/v1/sync/ops/{items[0]['id']}").get_json()
    (ph,) = detail["photos"]
    img = boss.get(ph["url"])
    # kept re-encoded (docs/security.md): the same pixels, as PNG
    assert img.status_code == 200 and img.mimetype == "image/png"
    assert np.array_equal(cv2.imdecode(np.frombuffer(img.data, np.uint8), cv2.IMREAD_UNCHANGED),
                          cv2.imdecode(np.frombuffer(blank, np.uint8), cv2.IMREAD_UNCHANGED))
    # the manager reads the code off the label and resolves the op with a corrected one
    r = boss.post(f"/api/v1/sync/ops/{items[0]['id']}/resolve", json={"payload": {"product_id": p.id,
                                                                                  "code": "4006381333931"}})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["rejected"]["status"] == "resolved"
    assert body["rejected"]["resolved_by_id"] == body["corrected"]["id"]
    assert body["corrected"]["resolves_id"] == body["rejected"]["id"]
    assert body["corrected"]["status"] == "applied" and body["corrected"]["op_id"] != items[0]["op_id"]
    assert db.session.scalar(select(Barcode.product_id).where(Barcode.code == "4006381333931")) == p.id
    assert boss.get("/api/v1/sync/ops?status=rejected").get_json()["total"] == 0
    r = boss.post(f"/api/v1/sync/ops/{items[0]['id']}/dismiss", json={"reason": "late"})
    assert r.status_code == 409 and r.get_json()["code"] == "invalid_transition"


def test_rejected_ops_are_listed_for_their_owner_and_managers_and_dismissed_with_an_audited_reason(
        login, make_product, device):
    a, b, boss = login("warehouse"), login("warehouse"), login("manager")
    d = device(a)
    d.queue("barcode.assign", {"product_id": 999, "code": "4006381333931"})
    d.push()
    (mine,) = a.get("/api/v1/sync/ops?status=rejected").get_json()["items"]
    assert b.get("/api/v1/sync/ops?status=rejected").get_json()["total"] == 0
    assert b.get(f"/api/v1/sync/ops/{mine['id']}").status_code == 404
    assert b.post(f"/api/v1/sync/ops/{mine['id']}/dismiss", json={"reason": "x"}).status_code == 404
    assert boss.get("/api/v1/sync/ops?status=rejected").get_json()["total"] == 1
    assert boss.post(f"/api/v1/sync/ops/{mine['id']}/dismiss", json={}).status_code == 422
    r = boss.post(f"/api/v1/sync/ops/{mine['id']}/dismiss", json={"reason": "product was deleted"})
    assert r.status_code == 200 and r.get_json()["status"] == "dismissed"
    assert r.get_json()["dismiss_reason"] == "product was deleted"
    log = db.session.scalar(select(AuditLog).where(AuditLog.entity == "sync_ops", AuditLog.action == "dismiss"))
    assert log.entity_id == str(mine["id"]) and log.changes["details"]["reason"] == "product was deleted"
    assert log.username == boss.user["username"]
    # the device replaying the op still gets its first answer; nothing is applied
    replay = d.push()["results"][0]
    assert (replay["status"], replay["original_status"], replay["record_status"]) == ("duplicate", "rejected",
                                                                                      "dismissed")


def test_a_refused_correction_changes_nothing(login, make_product, device):
    p = make_product()
    api = login("warehouse")
    d = device(api)
    d.queue("barcode.assign", {"product_id": 999, "code": "4006381333931"})
    d.push()
    (rec,) = api.get("/api/v1/sync/ops?status=rejected").get_json()["items"]
    r = api.post(f"/api/v1/sync/ops/{rec['id']}/resolve", json={"payload": {"product_id": p.id, "code": "123",
                                                                            "symbology": "ean13"}})
    assert r.status_code == 422
    r = api.post(f"/api/v1/sync/ops/{rec['id']}/resolve", json={"payload": {"product_id": 12345, "code": "4006381333931"}})
    assert r.status_code == 404
    assert api.get("/api/v1/sync/ops?status=rejected").get_json()["total"] == 1
    r = api.post(f"/api/v1/sync/ops/{rec['id']}/resolve", json={"payload": {"product_id": p.id,
                                                                            "code": "4006381333931"}})
    assert r.status_code == 200
