"""The bare baseline of bench/http_bench.py: plain Flask + Flask-SQLAlchemy on the same database as JXC, no
auth, no schemas, no audit — what one request costs with nothing on top. Four endpoints, one per pair:

    GET  /hello              ↔ GET  /api/health
    GET  /lookup/<code>      ↔ GET  /api/v1/barcodes/<code>   (the barcode's product, one query)
    GET  /onhand/<product>   ↔ GET  /api/v1/stock?product_id=  (its stock levels, one query)
    POST /insert             ↔ POST /api/v1/adjustments        (one row in bench_rows, committed)

    gunicorn -w 2 -k sync --chdir bench 'bare_app:create()'    (DATABASE_URL as for JXC)
"""
from __future__ import annotations

import os

from flask import Flask, abort, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

db = SQLAlchemy()

LOOKUP = text("SELECT p.id, p.sku, p.name, p.unit, p.sale_price, b.code, b.quantity FROM barcodes b "
              "JOIN products p ON p.id = b.product_id WHERE b.code = :code")
ONHAND = text("SELECT warehouse_id, quantity, avg_cost, value FROM stock_levels WHERE product_id = :pid "
              "ORDER BY warehouse_id")
INSERT = text("INSERT INTO bench_rows (note, created_at) VALUES (:note, CURRENT_TIMESTAMP)")


def _url() -> str:
    url = os.environ["DATABASE_URL"]
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def create() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = _url()
    db.init_app(app)

    @app.get("/hello")
    def hello():
        return jsonify(status="ok")

    @app.get("/lookup/<code>")
    def lookup(code):
        row = db.session.execute(LOOKUP, {"code": code}).mappings().first()
        if row is None:
            abort(404)
        return jsonify({k: str(v) for k, v in row.items()})

    @app.get("/onhand/<int:pid>")
    def onhand(pid):
        rows = db.session.execute(ONHAND, {"pid": pid}).mappings().all()
        return jsonify(items=[{k: str(v) for k, v in r.items()} for r in rows])

    @app.post("/insert")
    def insert():
        note = (request.get_json(silent=True) or {}).get("note", "")
        db.session.execute(INSERT, {"note": str(note)[:100]})
        db.session.commit()
        return jsonify(ok=True), 201

    return app
