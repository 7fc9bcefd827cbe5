"""Money arithmetic against hand-computed figures: cents, ROUND_HALF_UP, tax per line, partial documents."""
from decimal import Decimal

from backend.domain import money
from backend.extensions import db
from backend.models.ledger import StockLevel
from backend.services import purchasing
from tests.factories import D, ok

PO = "/api/v1/purchase-orders"

# product index, quantity, tax-exclusive unit price, tax rate
LINES = [(0, "3", "33.3333", "0.13"),  # 99.9999 → 100.00; tax 13.00; 113.00
         (1, "1", "0.125", "0"),       # 0.125 → 0.13 (half up; banker's rounding would give 0.12)
         (2, "2", "0.25", "0.05")]     # 0.50; tax 0.025 → 0.03 (banker's: 0.02); 0.53


def test_order_totals_are_rounded_half_up_per_line_and_summed(login, make_po):
    po = make_po(login("purchaser"), LINES)
    assert [(ln["amount"], ln["tax_amount"], ln["total"]) for ln in po["lines"]] == [
        ("100.00", "13.00", "113.00"), ("0.13", "0.00", "0.13"), ("0.50", "0.03", "0.53")]
    assert (po["subtotal"], po["tax_total"], po["total"]) == ("100.63", "13.03", "113.66")


def test_client_sent_totals_are_ignored(login, make_po, world):
    buyer = login("purchaser")
    r = buyer.post(PO, json={"supplier_id": world.supplier.id, "warehouse_id": world.warehouse.id, "total": "1",
                             "lines": [{"product_id": world.products[0].id, "quantity": "2", "unit_price": "10",
                                        "tax_rate": "0.13", "amount": "1"}]})
    assert r.status_code == 422  # unknown fields are refused, never trusted


def test_price_and_tax_rate_default_to_the_product(login, world):
    buyer = login("purchaser")
    po = ok(buyer.post(PO, json={"supplier_id": world.supplier.id, "warehouse_id": world.warehouse.id,
                                 "lines": [{"product_id": world.products[0].id, "quantity": "3"}]}), 201)
    (ln,) = po["lines"]
    # product: purchase price 12.50, default tax 13 % → 37.50 + 4.875→4.88
    assert (ln["unit_price"], ln["tax_rate"], ln["amount"], ln["tax_amount"], ln["total"]) == (
        "12.5000", "0.1300", "37.50", "4.88", "42.38")


def test_receipts_returns_and_payable_are_computed_on_their_own_quantities(approved_po, login, world):
    po, buyer, _ = approved_po(LINES)
    store = login("warehouse")
    l1, _, l3 = po["lines"]
    gr = ok(store.post(f"{PO}/{po['id']}/receive", json={"version": po["version"], "lines": [
        {"line_id": l1["id"], "quantity": "3"}, {"line_id": l3["id"], "quantity": "2"}]}), 201)
    assert not {"amount", "tax_amount", "total"} & set(gr)  # the warehouse role sees no prices
    gr = ok(buyer.get(f"/api/v1/purchase-receipts/{gr['id']}"))
    assert (gr["amount"], gr["tax_amount"], gr["total"]) == ("100.50", "13.03", "113.53")
    # stock valued at the tax-exclusive unit price
    lvl = db.session.get(StockLevel, (world.products[0].id, world.warehouse.id))
    assert lvl.quantity == D(3) and lvl.avg_cost == D("33.3333") and lvl.value == D("99.9999")
    pr = ok(buyer.post(f"{PO}/{po['id']}/returns", json={"version": gr["order"]["version"], "lines": [
        {"receipt_line_id": gr["lines"][0]["id"], "quantity": "1"}]}), 201)
    # 33.3333 → 33.33; tax 4.3329 → 4.33; 37.66
    assert (pr["amount"], pr["tax_amount"], pr["total"]) == ("33.33", "4.33", "37.66")
    assert purchasing.supplier_payable(world.supplier.id) == D("75.87")  # 113.53 − 37.66


def test_money_helper_rounds_half_up_not_to_even():
    assert money.cents(Decimal("0.125")) == Decimal("0.13")
    assert money.cents(Decimal("0.135")) == Decimal("0.14")
    assert money.cents(Decimal("-0.125")) == Decimal("-0.13")
    assert money.line_figures(Decimal(7), Decimal("1.4285"), Decimal("0.13")) == (
        Decimal("10.00"), Decimal("1.30"), Decimal("11.30"))  # 9.9995 → 10.00
