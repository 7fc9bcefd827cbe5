def test_health_reports_database(client):
    r = client.get("/api/health")
    assert r.status_code == 200
    assert r.get_json()["status"] == "ok"


def test_login_me_and_create_product(login):
    api = login("admin")
    me = api.get("/api/v1/auth/me").get_json()
    assert "product.write" in me["permissions"]
    r = api.post("/api/v1/products", json={"sku": "A-1", "name": "螺丝刀", "sale_price": "12.50"})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["barcodes"][0]["code"].startswith("20")
    assert body["sale_price"] == "12.5000"
