"""Pull: a paged full snapshot first, then changes (deletions and deactivations too), scoped by warehouse."""
import threading

from backend.context import Actor, acting_as
from backend.extensions import db
from backend.models.catalog import Product
from backend.services.uow import transaction


def pull_all(api, cursor=None, scope="all", limit=1000):
    """Follow has_more; returns (changes, final cursor, number of pages, first page's reset flag)."""
    changes, pages, reset = [], 0, None
    while True:
        q = f"/api/v1/sync/pull?scope={scope}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        r = api.get(q)
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        pages += 1
        reset = body["reset"] if reset is None else reset
        changes += body["changes"]
        cursor = body["cursor"]
        if not body["has_more"]:
            return changes, cursor, pages, reset


def latest(changes):
    out = {}
    for c in changes:
        out[(c["entity"], c["id"])] = c
    return out


def test_first_pull_is_a_paged_snapshot_then_only_changes_follow(login, make_product, make_warehouse):
    wh = make_warehouse()
    products = [make_product() for _ in range(7)]
    api = login("warehouse")
    changes, cursor, pages, reset = pull_all(api, limit=3)
    assert reset is True and pages >= 5
    got = latest(changes)
    assert {i for (e, i) in got if e == "product"} == {p.id for p in products}
    assert {got[("barcode", p.barcodes[0].id)]["data"]["code"] for p in products} == \
        {p.barcodes[0].code for p in products}
    assert ("warehouse", wh.id) in got
    assert got[("product", products[0].id)]["data"]["sku"] == products[0].sku
    # nothing changed: nothing comes, the cursor stays usable
    again, cursor2, _, reset = pull_all(api, cursor)
    assert again == [] and reset is False

    admin = login("admin")
    p0 = admin.get(f"/api/v1/products/{products[0].id}").get_json()
    assert admin.patch(f"/api/v1/products/{p0['id']}", json={"version": p0["version"], "name": "新名字"}).status_code == 200
    p1 = admin.get(f"/api/v1/products/{products[1].id}").get_json()
    assert admin.patch(f"/api/v1/products/{p1['id']}", json={"version": p1["version"], "is_active": False}).status_code == 200
    bc = products[2].barcodes[0].id
    assert admin.delete(f"/api/v1/products/{products[2].id}/barcodes/{bc}").status_code == 204
    r = admin.post(f"/api/v1/warehouses/{wh.id}/locations", json={"code": "A-01-01"})
    assert r.status_code == 201, r.get_json()
    changes, cursor3, _, _ = pull_all(api, cursor2)
    got = latest(changes)
    assert set(got) == {("product", products[0].id), ("product", products[1].id), ("barcode", bc),
                        ("location", r.get_json()["id"])}
    assert got[("product", products[0].id)]["data"]["name"] == "新名字"
    assert got[("product", products[1].id)]["data"]["is_active"] is False  # a deactivation
    assert got[("barcode", bc)]["op"] == "delete"
    assert pull_all(api, cursor3)[0] == []


def test_pull_is_limited_to_the_users_warehouses(login, make_warehouse, make_product, make_user):
    from tests.factories import stock_in

    w1, w2, w3 = make_warehouse(), make_warehouse(), make_warehouse()
    p = make_product()
    stock_in(p, w1, 10)
    stock_in(p, w2, 10)
    admin = login("admin")
    loc2 = admin.post(f"/api/v1/warehouses/{w2.id}/locations", json={"code": "B-1"}).get_json()
    t1 = admin.post("/api/v1/transfers", json={"from_warehouse_id": w1.id, "to_warehouse_id": w3.id,
                                                "lines": [{"product_id": p.id, "quantity": "1"}]}).get_json()
    t2 = admin.post("/api/v1/transfers", json={"from_warehouse_id": w2.id, "to_warehouse_id": w3.id,
                                                "lines": [{"product_id": p.id, "quantity": "1"}]}).get_json()
    api = login("warehouse", warehouses=[w1])
    changes, cursor, _, _ = pull_all(api)
    got = latest(changes)
    assert ("warehouse", w1.id) in got and ("warehouse", w2.id) not in got
    assert ("location", loc2["id"]) not in got
    assert ("transfer", t1["id"]) in got and ("transfer", t2["id"]) not in got
    assert got[("transfer", t1["id"])]["data"]["lines"][0]["product_id"] == p.id
    assert ("product", p.id) in got
    # a document that is no longer open leaves the phone (delete); other warehouses stay invisible
    t1 = admin.post(f"/api/v1/transfers/{t1['id']}/cancel", json={"version": t1["version"]})
    assert t1.status_code == 200, t1.get_json()
    changes, cursor, _, _ = pull_all(api, cursor)
    assert latest(changes)[("transfer", t1.get_json()["id"])]["op"] == "delete"


def test_an_invalid_cursor_or_scope_is_a_422(login):
    api = login("warehouse")
    r = api.get("/api/v1/sync/pull?cursor=garbage!!")
    assert r.status_code == 422 and r.get_json()["code"] == "invalid_cursor"
    assert api.get("/api/v1/sync/pull?scope=everything").status_code == 422


def test_the_catalog_scope_has_products_and_barcodes_only(login, make_product, make_warehouse):
    make_warehouse()
    p = make_product()
    changes, *_ = pull_all(login("warehouse"), scope="catalog")
    assert {c["entity"] for c in changes} == {"product", "barcode"}
    assert {c["id"] for c in changes if c["entity"] == "product"} == {p.id}


def test_a_change_committed_late_with_an_earlier_start_is_not_missed(app, login, make_product):
    """Transaction A changes X first but commits last; B changes Y and commits in between. A cursor taken
    between the two commits must still deliver X (timestamps or ids taken before commit would miss it)."""
    x, y = make_product(), make_product()
    api = login("warehouse")
    _, cursor, _, _ = pull_all(api)
    a_flushed, release_a, b_done = threading.Event(), threading.Event(), threading.Event()
    errors = []

    def change(pid, name, before_commit=None, after=None):
        try:
            with app.app_context(), acting_as(Actor(None, "test", "cli")):
                with transaction():
                    prod = db.session.get(Product, pid)
                    prod.name = name
                    db.session.flush()
                    if before_commit:
                        before_commit()
                db.session.remove()
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            if after:
                after.set()

    def a_pause():
        a_flushed.set()
        release_a.wait(30)

    ta = threading.Thread(target=change, args=(x.id, "X late", a_pause))
    ta.start()
    assert a_flushed.wait(30)
    tb = threading.Thread(target=change, args=(y.id, "Y early", None, b_done))
    tb.start()
    b_done.wait(2)  # PostgreSQL: B commits now; SQLite: B waits for A's write lock
    seen, cursor, _, _ = pull_all(api, cursor)
    release_a.set()
    ta.join(30)
    tb.join(30)
    assert not errors, errors
    more, cursor, _, _ = pull_all(api, cursor)
    got = latest(seen + more)
    assert got[("product", x.id)]["data"]["name"] == "X late"
    assert got[("product", y.id)]["data"]["name"] == "Y early"


def _submitted_po(api, supplier, warehouse, product, price="43.21"):
    po = api.post("/api/v1/purchase-orders", json={"supplier_id": supplier.id, "warehouse_id": warehouse.id, "lines": [
        {"product_id": product.id, "quantity": "5", "unit_price": price}]}).get_json()
    r = api.post(f"/api/v1/purchase-orders/{po['id']}/submit", json={"version": po["version"]})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_each_pulled_entity_needs_the_permission_of_its_list(login, make_warehouse, make_product, make_supplier,
                                                            make_user):
    wh, p, s = make_warehouse(), make_product(), make_supplier()
    buyer, admin = login("purchaser"), login("admin")
    po = _submitted_po(buyer, s, wh, p)
    seller = make_user("sales")
    api = login(username=seller.username)
    assert api.get(f"/api/v1/purchase-orders/{po['id']}").status_code == 403  # the list/detail refuse it ...
    r = api.get("/api/v1/sync/pull?limit=3")
    body = r.get_json()
    # ... so the pull leaves it out too, and says which kinds of the scope it left out
    assert set(body["omitted"]) == {"purchase_order", "transfer", "stocktake"}
    changes, cursor, _, _ = pull_all(api, limit=3)
    assert {c["entity"] for c in changes} == {"warehouse", "product", "barcode"}
    # changes of entities the user may not see are skipped; the cursor still moves past them
    for i in range(4):
        po = _submitted_po(buyer, s, wh, p, price=f"{i + 1}.5")
    again, cursor2, _, reset = pull_all(api, cursor, limit=2)
    assert again == [] and reset is False
    p0 = admin.get(f"/api/v1/products/{p.id}").get_json()
    assert admin.patch(f"/api/v1/products/{p.id}", json={"version": p0["version"], "name": "新"}).status_code == 200
    _submitted_po(buyer, s, wh, p)
    changes, cursor3, _, _ = pull_all(api, cursor2, limit=2)
    assert [(c["entity"], c["id"]) for c in changes] == [("product", p.id)]
    assert pull_all(api, cursor3)[0] == []
    # given purchase.view later, the phone starts again with a snapshot that now has the orders
    u = admin.get(f"/api/v1/users/{seller.id}").get_json()
    r = admin.patch(f"/api/v1/users/{seller.id}", json={"version": u["version"], "roles": ["sales", "purchaser"]})
    assert r.status_code == 200, r.get_json()
    api = login(username=seller.username)
    changes, _, _, reset = pull_all(api, cursor3)
    assert reset is True and "purchase_order" in {c["entity"] for c in changes}
