"""Backup and restore: exact round trips, refusals that leave the database untouched, the admin API."""
from __future__ import annotations

import gzip
import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from ops_dbutil import snapshot, wipe
from sqlalchemy import func, select

from backend.context import Actor, acting_as
from backend.extensions import db
from backend.models.catalog import Product
from backend.services import backup as backup_service
from tests.factories import ok


@pytest.fixture(autouse=True)
def _empty_backup_dir(app):
    for f in Path(app.config["BACKUP_DIR"]).iterdir():
        f.unlink()


def cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


@pytest.fixture
def shop(admin, make_product, make_warehouse, make_supplier, make_customer, receiver):
    """A small shop with Chinese text, 4-decimal prices, stock, a webhook and its outbox, an audit trail."""
    from backend.services.ledger import MoveSpec, post

    w = make_warehouse(name="主仓库")
    p1 = make_product(name="十字螺丝刀", purchase_price="12.3456", sale_price="19.9900")
    p2 = make_product(name="活动扳手 8\"", notes="line1\nline2 ,;'\"")
    make_supplier(name="上海五金有限公司", email="a@b.cn")
    make_customer(name="客户甲", credit_limit=Decimal("50000.5"))
    ok(admin.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["stock.moved"]}), 201)
    with acting_as(Actor(None, "test", "cli")):
        post([MoveSpec(p1.id, w.id, Decimal("10.125"), "receipt", unit_cost=Decimal("3.3333")),
              MoveSpec(p2.id, w.id, Decimal(2), "receipt", unit_cost=Decimal(7))])
        post([MoveSpec(p1.id, w.id, Decimal("-1.5"), "shipment")])
    return {"warehouse": w, "products": [p1, p2]}


def _count(model) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(model))


def test_portable_backup_restores_every_table_exactly(app, shop, tmp_path, admin):
    before = snapshot()
    assert before["stock_moves"] and before["webhook_deliveries"] and before["audit_log"]
    out = tmp_path / "shop.jsonl.gz"
    r = cli(app, "backup", "--output", str(out))
    assert r.exit_code == 0 and "backup written" in r.output, r.output
    wipe()
    r = cli(app, "restore", str(out))
    assert r.exit_code == 0 and "restored" in r.output, r.output
    after = snapshot()
    assert after == before
    prices = db.session.execute(select(Product.purchase_price, Product.sale_price).order_by(Product.id)).first()
    assert prices == (Decimal("12.3456"), Decimal("19.9900"))
    # ids continue after the restored ones (PostgreSQL sequences are reset); users can log in again
    ok(admin.post("/api/v1/products", json={"sku": "NEW-1", "name": "新商品"}), 201)
    ok(admin.post("/api/v1/warehouses", json={"code": "W-NEW", "name": "新仓"}), 201)


def test_the_backup_file_is_versioned_json_lines_with_exact_decimals(app, shop, tmp_path):
    out = tmp_path / "b.jsonl.gz"
    assert cli(app, "backup", "-o", str(out)).exit_code == 0
    with gzip.open(out, "rt", encoding="utf-8") as f:
        lines = [json.loads(x) for x in f]
    header, footer = lines[0], lines[-1]
    assert header["format"] == "jxc-backup" and header["version"] == 1 and "alembic_revision" in header
    assert footer["end"] is True and footer["rows"]["products"] == 2
    text = json.dumps(lines, ensure_ascii=False)
    assert '"12.3456"' in text and "十字螺丝刀" in text


def test_restore_refuses_a_database_with_data_unless_confirmed(app, shop, tmp_path, make_product):
    out = tmp_path / "b.jsonl.gz"
    assert cli(app, "backup", "-o", str(out)).exit_code == 0
    backed_up = snapshot()
    make_product(sku="AFTER-BACKUP")
    r = cli(app, "restore", str(out))
    assert r.exit_code == 1 and "not empty" in r.output
    assert _count(Product) == 3  # untouched
    r = cli(app, "restore", str(out), "--yes")
    assert r.exit_code == 0 and "replaced" in r.output, r.output
    assert snapshot() == backed_up and _count(Product) == 2


def test_a_truncated_backup_restores_nothing(app, shop, tmp_path):
    out = tmp_path / "b.jsonl.gz"
    assert cli(app, "backup", "-o", str(out)).exit_code == 0
    with gzip.open(out, "rt", encoding="utf-8") as f:
        lines = f.readlines()
    cut = tmp_path / "cut.jsonl.gz"
    with gzip.open(cut, "wt", encoding="utf-8") as f:
        f.writelines(lines[: len(lines) - 3])
    wipe()
    r = cli(app, "restore", str(cut))
    assert r.exit_code == 1 and "incomplete" in r.output, r.output
    assert all(not rows for rows in snapshot(exclude_audit_of=()).values())  # one transaction: all rolled back


def test_restore_checks_the_format_and_the_schema_revision(app, shop, tmp_path):
    out = tmp_path / "b.jsonl.gz"
    assert cli(app, "backup", "-o", str(out)).exit_code == 0
    with gzip.open(out, "rt", encoding="utf-8") as f:
        lines = f.readlines()
    header = json.loads(lines[0])
    wipe()
    for change, message in (({"alembic_revision": "0000deadbeef"}, "revision"), ({"version": 99}, "version"),
                            ({"format": "other"}, "not a JXC backup")):
        bad = tmp_path / "bad.jsonl.gz"
        with gzip.open(bad, "wt", encoding="utf-8") as f:
            f.write(json.dumps({**header, **change}) + "\n")
            f.writelines(lines[1:])
        r = cli(app, "restore", str(bad))
        assert r.exit_code == 1 and message in r.output, (change, r.output)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01garbage" * 100)
    r = cli(app, "restore", str(junk))
    assert r.exit_code == 1 and "not a JXC backup" in r.output
    assert _count(Product) == 0


def test_a_sqlite_shop_moves_to_the_current_engine_with_a_portable_backup(app, tmp_path):
    """The portable format restores across engines (SQLite → PostgreSQL when the suite runs on PostgreSQL)."""
    from backend import create_app
    from backend.config import TestConfig
    from backend.models.base import Base
    from backend.services import catalog

    src_url = f"sqlite:///{tmp_path / 'old-shop.db'}"
    src = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": src_url, "BACKUP_DIR": str(tmp_path / "bk")})
    out = tmp_path / "move.jsonl.gz"
    with src.app_context():
        Base.metadata.create_all(db.engine)
        with acting_as(Actor(None, "test", "cli")):
            catalog.create_product({"sku": "OLD-1", "name": "老店商品", "sale_price": Decimal("88.8800"),
                                    "barcodes": [{"code": "6901234567892"}, {"code": "16901234567899",
                                                                             "quantity": Decimal(12)}]})
        assert src.test_cli_runner().invoke(args=["backup", "-o", str(out)]).exit_code == 0
        db.session.remove()
        db.engine.dispose()
    r = cli(app, "restore", str(out))
    assert r.exit_code == 0, r.output
    p = db.session.scalars(select(Product)).one()
    assert (p.sku, p.name, p.sale_price) == ("OLD-1", "老店商品", Decimal("88.8800"))
    assert sorted((b.code, b.quantity) for b in p.barcodes) == [("16901234567899", Decimal("12.0000")),
                                                                ("6901234567892", Decimal("1.0000"))]
    assert p.created_at.tzinfo is not None


def test_native_sqlite_backup_is_a_consistent_copy_while_a_writer_is_busy(app, shop, tmp_path):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    other = sqlite3.connect(db.engine.url.database, timeout=5)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE products SET name = 'uncommitted' WHERE id = 1")
    try:
        out = tmp_path / "native.sqlite3.gz"
        meta = backup_service._dump_sqlite(out)  # the copy step itself, while the writer holds its lock
        assert meta["rows"]["products"] == 2
    finally:
        other.rollback()
        other.close()
    before = snapshot()
    wipe()
    r = cli(app, "restore", str(out))
    assert r.exit_code == 0, r.output
    assert snapshot() == before
    assert "uncommitted" not in str(before["products"])


def test_native_pg_dump_backup_round_trips(app, shop, tmp_path):
    if db.engine.dialect.name != "postgresql" or not backup_service.native_tools_available():
        pytest.skip("PostgreSQL with pg_dump only")
    out = tmp_path / "native.pgdump"
    r = cli(app, "backup", "--format", "native", "-o", str(out))
    assert r.exit_code == 0, r.output
    before = snapshot()
    wipe()
    r = cli(app, "restore", str(out))
    assert r.exit_code == 0, r.output
    assert snapshot() == before


# ---------------------------------------------------------------- admin API

def test_admin_creates_lists_and_downloads_backups(admin, shop):
    meta = ok(admin.post("/api/v1/admin/backups", json={"note": "before stocktake"}), 201)
    assert meta["name"].startswith("jxc-") and meta["format"] == "portable" and meta["rows"] > 0
    assert meta["note"] == "before stocktake" and len(meta["sha256"]) == 64 and "path" not in meta
    listed = ok(admin.get("/api/v1/admin/backups"))
    assert listed["total"] == 1 and listed["items"][0]["name"] == meta["name"]
    r = admin.get(f"/api/v1/admin/backups/{meta['name']}")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    header = json.loads(gzip.decompress(r.data).split(b"\n", 1)[0])
    assert header["format"] == "jxc-backup"
    # the backup is in the audit log
    audit = ok(admin.get("/api/v1/audit?entity=database")) if admin.get("/api/v1/audit").status_code == 200 else None
    if audit is not None:
        assert any(i["action"] == "backup" for i in audit["items"])
    ok(admin.delete(f"/api/v1/admin/backups/{meta['name']}"), 204)
    assert ok(admin.get("/api/v1/admin/backups"))["total"] == 0


def test_native_backup_through_the_api(admin, shop):
    meta = ok(admin.post("/api/v1/admin/backups", json={"format": "native"}), 201)
    assert meta["format"] in ("sqlite", "pg_dump") and meta["size"] > 0


@pytest.mark.parametrize("name", ["nope", "jxc-missing.jsonl.gz", "..%2F..%2Fetc%2Fpasswd", "jxc-..",
                                  "jxc-x.jsonl.gz.meta.json"])
def test_downloading_anything_but_a_backup_is_404(admin, name):
    r = admin.get(f"/api/v1/admin/backups/{name}")
    assert r.status_code == 404 and r.get_json()["code"] == "not_found"


def test_only_system_admins_handle_backups(login):
    for role in ("manager", "finance", "warehouse"):
        api = login(role)
        assert api.post("/api/v1/admin/backups", json={}).status_code == 403
        assert api.get("/api/v1/admin/backups").status_code == 403


def test_bad_backup_requests_are_422(admin):
    r = admin.post("/api/v1/admin/backups", json={"format": "zip"})
    assert r.status_code == 422 and r.get_json()["code"] == "validation_error"


def test_backup_keep_prunes_old_backups(app, shop):
    for _ in range(3):
        assert cli(app, "backup").exit_code == 0
    r = cli(app, "backup", "--keep", "2")
    assert r.exit_code == 0 and r.output.count("pruned") == 2, r.output
    assert len(backup_service.list_backups()) == 2
    assert all(Path(app.config["BACKUP_DIR"], b["name"]).exists() for b in backup_service.list_backups())
