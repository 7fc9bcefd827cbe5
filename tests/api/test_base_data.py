"""Products, barcodes, suppliers, customers, warehouses: CRUD, search, paging, locking, references."""
from decimal import Decimal

from backend.domain.barcodes import is_valid_gtin


def test_product_without_barcode_gets_a_valid_internal_ean13(admin):
    r = admin.post("/api/v1/products", json={"sku": "P-1", "name": "卷尺", "model": "TM-5", "spec": "5m"})
    assert r.status_code == 201
    (bc,) = r.get_json()["barcodes"]
    assert bc["symbology"] == "ean13" and bc["code"][:2] in {str(n) for n in range(20, 30)}
    assert is_valid_gtin(bc["code"])
    r2 = admin.post("/api/v1/products", json={"sku": "P-2", "name": "Tape"})
    assert r2.get_json()["barcodes"][0]["code"] != bc["code"]


def test_pack_barcode_resolves_to_product_and_pack_quantity(admin):
    p = admin.post("/api/v1/products", json={"sku": "P-1", "name": "Screws", "barcodes": [
        {"code": "4006381333931", "symbology": "ean13"},
        {"code": "CTN-P1", "symbology": "code128", "quantity": "24"}]}).get_json()
    r = admin.get("/api/v1/barcodes/CTN-P1")
    assert r.status_code == 200
    assert r.get_json()["product"]["id"] == p["id"] and Decimal(r.get_json()["quantity"]) == 24
    assert Decimal(admin.get("/api/v1/barcodes/4006381333931").get_json()["quantity"]) == 1
    r = admin.get("/api/v1/barcodes/0000000000000")
    assert r.status_code == 404 and r.get_json()["code"] == "unknown_barcode"


def test_upca_scanned_as_ean13_resolves(admin):
    admin.post("/api/v1/products", json={"sku": "U", "name": "U", "barcodes": [{"code": "036000291452", "symbology": "upca"}]})
    assert admin.get("/api/v1/barcodes/0036000291452").status_code == 200


def test_a_barcode_belongs_to_one_product_only(admin):
    admin.post("/api/v1/products", json={"sku": "A", "name": "A", "barcodes": [{"code": "X1", "symbology": "code128"}]})
    b = admin.post("/api/v1/products", json={"sku": "B", "name": "B"}).get_json()
    r = admin.post(f"/api/v1/products/{b['id']}/barcodes", json={"code": "X1", "symbology": "code128"})
    assert r.status_code == 409 and r.get_json()["code"] == "duplicate"
    r = admin.post("/api/v1/products", json={"sku": "C", "name": "C", "barcodes": [{"code": "X1"}]})
    assert r.status_code == 409
    assert admin.get("/api/v1/products?q=C").get_json()["total"] == 0


def test_ean13_with_wrong_check_digit_is_refused(admin):
    r = admin.post("/api/v1/products", json={"sku": "A", "name": "A", "barcodes": [{"code": "4006381333932", "symbology": "ean13"}]})
    assert r.status_code == 422


def test_generate_and_remove_barcodes(admin):
    p = admin.post("/api/v1/products", json={"sku": "A", "name": "A"}).get_json()
    r = admin.post(f"/api/v1/products/{p['id']}/barcodes", json={"generate": True, "quantity": "6"})
    assert r.status_code == 201 and is_valid_gtin(r.get_json()["code"])
    codes = admin.get(f"/api/v1/products/{p['id']}/barcodes").get_json()
    assert len(codes) == 2
    assert admin.delete(f"/api/v1/products/{p['id']}/barcodes/{codes[0]['id']}").status_code == 204
    assert len(admin.get(f"/api/v1/products/{p['id']}/barcodes").get_json()) == 1


def test_a_product_created_with_generate_gets_a_generated_code_next_to_its_own(admin):
    r = admin.post("/api/v1/products", json={"sku": "G", "name": "G", "barcodes": [
        {"code": "4006381333931", "symbology": "ean13"}, {"generate": True}]})
    assert r.status_code == 201, r.get_json()
    codes = [b["code"] for b in r.get_json()["barcodes"]]
    assert len(codes) == 2 and codes[0] == "4006381333931" and is_valid_gtin(codes[1]) and codes[1][:2] >= "20"


def test_duplicate_sku_is_409(admin):
    admin.post("/api/v1/products", json={"sku": "A-1", "name": "A"})
    r = admin.post("/api/v1/products", json={"sku": "a-1", "name": "B"})
    assert r.status_code == 409 and r.get_json()["errors"] == {"sku": ["Already exists."]}


def test_stale_version_is_409_and_the_newer_write_stays(admin):
    p = admin.post("/api/v1/products", json={"sku": "A", "name": "Old"}).get_json()
    assert admin.patch(f"/api/v1/products/{p['id']}", json={"version": 1, "name": "First"}).status_code == 200
    r = admin.patch(f"/api/v1/products/{p['id']}", json={"version": 1, "name": "Second"})
    assert r.status_code == 409 and r.get_json()["code"] == "stale_version"
    got = admin.get(f"/api/v1/products/{p['id']}").get_json()
    assert got["name"] == "First" and got["version"] == 2


def test_patch_without_version_is_422(admin):
    p = admin.post("/api/v1/products", json={"sku": "A", "name": "Old"}).get_json()
    assert admin.patch(f"/api/v1/products/{p['id']}", json={"name": "x"}).status_code == 422


def test_search_by_name_sku_model_and_barcode_with_paging_and_sorting(admin):
    for i, name in enumerate(["螺丝刀", "扳手", "Hammer", "螺母"]):
        admin.post("/api/v1/products", json={"sku": f"S{i}", "name": name, "model": f"M{i}", "sale_price": str(10 - i)})
    assert {p["name"] for p in admin.get("/api/v1/products?q=螺").get_json()["items"]} == {"螺丝刀", "螺母"}
    assert admin.get("/api/v1/products?q=hammer").get_json()["items"][0]["sku"] == "S2"
    assert admin.get("/api/v1/products?q=m3").get_json()["items"][0]["name"] == "螺母"
    code = admin.get("/api/v1/products?q=S1").get_json()["items"][0]["barcodes"][0]["code"]
    assert admin.get(f"/api/v1/products?q={code}").get_json()["items"][0]["sku"] == "S1"
    page = admin.get("/api/v1/products?sort=-sale_price&per_page=2&page=2").get_json()
    assert page["total"] == 4 and [p["sku"] for p in page["items"]] == ["S2", "S3"]


def test_delete_unreferenced_product_and_refuse_referenced_warehouse(admin, make_product, make_warehouse):
    p = admin.post("/api/v1/products", json={"sku": "A", "name": "A"}).get_json()
    assert admin.delete(f"/api/v1/products/{p['id']}?version=1").status_code == 204
    assert admin.get(f"/api/v1/products/{p['id']}").status_code == 404
    wh = make_warehouse()
    loc = admin.post(f"/api/v1/warehouses/{wh.id}/locations", json={"code": "A-01"})
    assert loc.status_code == 201
    r = admin.delete(f"/api/v1/warehouses/{wh.id}?version=1")
    assert r.status_code == 409 and r.get_json()["code"] == "in_use" and "locations" in r.get_json()["errors"]["referenced_by"]
    r = admin.patch(f"/api/v1/warehouses/{wh.id}", json={"version": 1, "is_active": False})
    assert r.status_code == 200 and r.get_json()["is_active"] is False
    assert admin.get("/api/v1/warehouses?active=true").get_json()["total"] == 0


def test_product_with_stock_cannot_be_deleted(admin, make_product, make_warehouse):
    from backend.services import ledger

    p, w = make_product(), make_warehouse()
    ledger.post([ledger.MoveSpec(p.id, w.id, Decimal(1), "receipt", unit_cost=Decimal(1))])
    r = admin.delete(f"/api/v1/products/{p.id}?version={p.version}")
    assert r.status_code == 409 and "stock_moves" in r.get_json()["errors"]["referenced_by"]


def test_suppliers_and_customers_crud(admin):
    s = admin.post("/api/v1/suppliers", json={"code": "S1", "name": "宁波工具", "phone": "0574", "tax_id": "9133"})
    assert s.status_code == 201
    c = admin.post("/api/v1/customers", json={"code": "C1", "name": "宏达", "credit_limit": "5000.50"})
    assert c.status_code == 201 and c.get_json()["credit_limit"] == "5000.5000"
    assert admin.get("/api/v1/suppliers?q=宁波").get_json()["total"] == 1
    sid = s.get_json()["id"]
    assert admin.patch(f"/api/v1/suppliers/{sid}", json={"version": 1, "contact": "王"}).get_json()["contact"] == "王"
    assert admin.delete(f"/api/v1/suppliers/{sid}?version=1").status_code == 409  # stale
    assert admin.delete(f"/api/v1/suppliers/{sid}?version=2").status_code == 204
    assert admin.post("/api/v1/customers", json={"code": "C1", "name": "again"}).status_code == 409


def test_locations_are_unique_per_warehouse(admin, make_warehouse):
    w1, w2 = make_warehouse(), make_warehouse()
    assert admin.post(f"/api/v1/warehouses/{w1.id}/locations", json={"code": "A-01"}).status_code == 201
    assert admin.post(f"/api/v1/warehouses/{w1.id}/locations", json={"code": "A-01"}).status_code == 409
    assert admin.post(f"/api/v1/warehouses/{w2.id}/locations", json={"code": "A-01"}).status_code == 201
    assert [loc["code"] for loc in admin.get(f"/api/v1/warehouses/{w1.id}").get_json()["locations"]] == ["A-01"]


def test_warehouse_bound_user_sees_only_their_warehouses(login, make_warehouse):
    w1, w2 = make_warehouse("EAST"), make_warehouse("WEST")
    api = login("warehouse", warehouses=[w1])
    assert [w["code"] for w in api.get("/api/v1/warehouses").get_json()["items"]] == ["EAST"]
    assert api.get(f"/api/v1/warehouses/{w2.id}/locations").status_code == 403
    assert api.get(f"/api/v1/warehouses/{w2.id}").status_code == 403
    assert api.get(f"/api/v1/warehouses/{w1.id}").status_code == 200
