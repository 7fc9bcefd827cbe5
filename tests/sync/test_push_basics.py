from backend.extensions import db
from backend.models.catalog import Barcode


def test_barcode_assignment_op_is_applied_once_and_replay_returns_the_stored_result(login, make_product, device):
    api = login("warehouse")
    p = make_product()
    d = device(api)
    d.queue("barcode.assign", {"product_id": p.id, "code": "6901234567892"})
    first = d.push()
    assert first["results"][0]["status"] == "applied", first
    assert first["last_seq"] == 1
    again = d.push()
    assert again["results"][0]["status"] == "duplicate"
    assert again["results"][0]["result"] == first["results"][0]["result"]
    assert db.session.query(Barcode).filter_by(code="6901234567892").count() == 1
