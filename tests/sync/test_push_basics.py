"""Push: applied / duplicate / rejected, sequence rules, devices, malformed batches."""
import uuid

from backend.extensions import db
from backend.models.catalog import Barcode
from backend.models.sync import SyncDevice, SyncOp
from tests.sync.sync_helpers import op

EAN = ["6901234567892", "4006381333931", "9780201379624", "5012345678900", "0012345678905"]


def test_barcode_assignment_op_is_applied_once_and_replay_returns_the_stored_result(login, make_product, device):
    api = login("warehouse")
    p = make_product()
    d = device(api)
    d.queue("barcode.assign", {"product_id": p.id, "code": EAN[0]})
    first = d.push()
    assert first["results"][0]["status"] == "applied", first
    assert first["last_seq"] == 1
    again = d.push()
    assert again["results"][0]["status"] == "duplicate"
    assert again["results"][0]["original_status"] == "applied"
    assert again["results"][0]["result"] == first["results"][0]["result"]
    assert db.session.query(Barcode).filter_by(code=EAN[0]).count() == 1


def test_a_rejected_op_is_recorded_advances_seq_and_does_not_block_the_ops_behind_it(login, make_product, device):
    api = login("warehouse")
    p = make_product()
    d = device(api)
    d.queue("barcode.assign", {"product_id": 999999, "code": EAN[0]})  # unknown product
    d.queue("barcode.assign", {"product_id": p.id, "code": "not-a-valid-ean", "symbology": "ean13"})
    d.queue("barcode.assign", {"product_id": p.id, "code": EAN[1]})
    out = d.push()
    assert [r["status"] for r in out["results"]] == ["rejected", "rejected", "applied"]
    assert out["results"][0]["code"] == "not_found"
    assert out["results"][1]["code"] == "validation_error"
    assert out["last_seq"] == 3
    replay = d.push()
    assert [r["status"] for r in replay["results"]] == ["duplicate"] * 3
    assert [r.get("code") for r in replay["results"]] == [r.get("code") for r in out["results"]]
    assert [r["original_status"] for r in replay["results"]] == ["rejected", "rejected", "applied"]


def test_same_op_id_with_a_different_payload_is_rejected_op_id_reused_and_kept(login, make_product, device):
    api = login("warehouse")
    p = make_product()
    d = device(api)
    first = d.queue("barcode.assign", {"product_id": p.id, "code": EAN[0]})
    d.push()
    d.outbox = []
    d.queue("barcode.assign", {"product_id": p.id, "code": EAN[1]}, op_id=first["op_id"])
    out = d.push()
    r = out["results"][0]
    assert (r["status"], r["code"]) == ("rejected", "op_id_reused")
    assert out["last_seq"] == 2  # a rejected op advances seq
    assert db.session.query(Barcode).filter_by(code=EAN[1]).count() == 0
    assert d.push()["results"][0]["status"] == "duplicate"  # the rejection itself is replayable
    listed = api.get("/api/v1/sync/ops?status=rejected").get_json()
    assert [i["error_code"] for i in listed["items"]] == ["op_id_reused"]


def test_a_sequence_gap_stops_the_batch_and_the_missing_ops_can_be_sent_after(login, make_product, device):
    api = login("warehouse")
    p = make_product()
    d = device(api)
    ops = [d.queue("barcode.assign", {"product_id": p.id, "code": c}) for c in EAN[:4]]
    out = d.push([ops[0], ops[2], ops[3]])
    assert [r["status"] for r in out["results"]] == ["applied", "rejected"]
    assert out["results"][1]["code"] == "sequence_gap"
    assert out["stopped_at"]["expected_seq"] == 2
    assert out["last_seq"] == 1
    assert db.session.query(Barcode).filter(Barcode.code.in_(EAN[2:4])).count() == 0
    out = d.push()  # the whole outbox again
    assert [r["status"] for r in out["results"]] == ["duplicate", "applied", "applied", "applied"]
    assert out["last_seq"] == 4


def test_a_new_op_with_an_already_used_seq_is_rejected_and_kept(login, make_product, device):
    api = login("warehouse")
    p = make_product()
    d = device(api)
    d.queue("barcode.assign", {"product_id": p.id, "code": EAN[0]})
    d.push()
    out = d.push([op(1, "barcode.assign", {"product_id": p.id, "code": EAN[1]})])
    assert out["results"][0]["code"] == "sequence_reused"
    assert out["last_seq"] == 1


def test_a_device_registered_to_another_user_is_refused(login, make_product, device):
    a, b = login("warehouse"), login("warehouse")
    d = device(a)
    r = a.post("/api/v1/sync/devices", json={"device_id": d.id, "name": "Pixel"})
    assert r.status_code == 201 and r.get_json()["last_seq"] == 0
    assert a.post("/api/v1/sync/devices", json={"device_id": d.id}).status_code == 200
    r = b.post("/api/v1/sync/devices", json={"device_id": d.id})
    assert r.status_code == 403 and r.get_json()["code"] == "device_forbidden"
    other = device(b, d.id)
    other.queue("barcode.assign", {"product_id": make_product().id, "code": EAN[0]})
    assert other.push(expect=403)["code"] == "device_forbidden"


def test_a_first_push_registers_the_device_and_a_disabled_device_is_refused(login, make_product, device):
    api = login("warehouse")
    d = device(api)
    d.queue("barcode.assign", {"product_id": make_product().id, "code": EAN[0]})
    d.push()
    dev = db.session.get(SyncDevice, d.id)
    assert dev.last_seq == 1
    assert api.post(f"/api/v1/sync/devices/{d.id}/disable").status_code == 200
    assert d.push(expect=403)["code"] == "device_disabled"
    assert api.post(f"/api/v1/sync/devices/{d.id}/enable").status_code == 200
    assert d.push()["results"][0]["status"] == "duplicate"


def test_malformed_batches_are_refused_as_a_whole_with_json_errors(login, make_product, device, app):
    api = login("warehouse")
    p = make_product()
    url = "/api/v1/sync/push"
    good = op(1, "barcode.assign", {"product_id": p.id, "code": EAN[0]})
    cases = [
        (api.post(url, data="not json", content_type="application/json"), 422, "malformed_batch"),
        (api.post(url, json=[1, 2]), 422, "malformed_batch"),
        (api.post(url, json={"ops": [good]}), 422, "malformed_batch"),
        (api.post(url, json={"device_id": "d1", "ops": [{**good, "op_id": "nope"}]}), 422, "malformed_batch"),
        (api.post(url, json={"device_id": "d1", "ops": [{k: v for k, v in good.items() if k != "seq"}]}), 422,
         "malformed_batch"),
        (api.post(url, json={"device_id": "d1", "ops": [good, {**good, "op_id": str(uuid.uuid4())}]}), 422,
         "malformed_batch"),
        (api.post(url, json={"device_id": "d1", "ops": [good, good]}), 422, "malformed_batch"),
        (api.post(url, json={"device_id": "d1", "ops": [{**good, "seq": "1"}]}), 422, "malformed_batch"),
        (api.post(url, json={"device_id": "d1", "ops": [{**good, "device_id": "other"}]}), 422, "malformed_batch"),
        (api.post(url, json={"device_id": "d1", "ops": [good] * 501}), 413, "batch_too_large"),
        (api.post(url, data=b"x" * (13 * 1024 * 1024), content_type="application/json"), 413, "payload_too_large"),
    ]
    for r, status, code in cases:
        assert r.status_code == status, r.get_json()
        body = r.get_json()
        assert body["code"] == code and body["status"] == status and "message" in body
    assert db.session.query(SyncOp).count() == 0
    assert db.session.query(Barcode).filter_by(code=EAN[0]).count() == 0
    anon = app.test_client().post(url, json={"device_id": "d1", "ops": [good]})
    assert anon.status_code == 401


def test_unknown_op_types_and_invalid_payloads_are_rejected_per_op(login, make_product, device):
    api = login("warehouse")
    p = make_product()
    d = device(api)
    d.queue("teleport", {"x": 1})
    d.queue("barcode.assign", {"product_id": p.id, "code": EAN[0]}, type_version=7)
    d.queue("barcode.assign", {"product_id": "abc"})
    d.queue("barcode.assign", {"product_id": p.id, "code": EAN[0], "surprise": True})
    out = d.push()
    assert [r["code"] for r in out["results"]] == ["unsupported_op_type", "unsupported_op_type", "validation_error",
                                                   "validation_error"]
    assert out["last_seq"] == 4


def test_an_op_needing_a_permission_the_user_lacks_is_rejected(login, make_warehouse, make_product, device):
    make_warehouse()
    api = login("sales")
    d = device(api)
    d.queue("barcode.assign", {"product_id": make_product().id, "code": EAN[0]})
    out = d.push()
    assert out["results"][0]["code"] == "forbidden"


def test_op_types_are_listed(login):
    types = {t["type"] for t in login("warehouse").get("/api/v1/sync/op-types").get_json()}
    assert {"barcode.assign", "stock.adjust", "transfer.ship", "transfer.receive", "so.ship"} <= types


def test_pruning_keeps_recent_and_rejected_op_records(app, login, make_product, device):
    from datetime import timedelta

    from backend.models.base import utcnow

    api = login("warehouse")
    p = make_product()
    d = device(api)
    d.queue("barcode.assign", {"product_id": p.id, "code": EAN[0]})
    d.queue("barcode.assign", {"product_id": 999999, "code": EAN[1]})
    d.queue("barcode.assign", {"product_id": p.id, "code": EAN[2]})
    d.push()
    db.session.commit()
    old = utcnow() - timedelta(days=31)
    for rec in db.session.query(SyncOp).filter(SyncOp.seq.in_([1, 2])):
        rec.synced_at = old
    db.session.commit()
    out = app.test_cli_runner().invoke(args=["sync-prune", "--days", "5"])
    assert "deleted 1 op records" in out.output, out.output
    assert sorted(r.seq for r in db.session.query(SyncOp)) == [2, 3]  # the rejected one stays
