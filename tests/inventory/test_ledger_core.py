from decimal import Decimal

import pytest

from backend.errors import InsufficientStock
from backend.extensions import db
from backend.models.ledger import ImmutableMove, StockMove
from backend.services import ledger
from backend.services.ledger import MoveSpec


def test_receipts_set_moving_average_and_issues_take_it(make_product, make_warehouse):
    p, w = make_product(), make_warehouse()
    ledger.post([MoveSpec(p.id, w.id, Decimal(10), "receipt", unit_cost=Decimal(2))])
    ledger.post([MoveSpec(p.id, w.id, Decimal(10), "receipt", unit_cost=Decimal(4))])
    lvl = ledger.level(p.id, w.id)
    assert (lvl.quantity, lvl.avg_cost, lvl.value) == (Decimal(20), Decimal(3), Decimal(60))
    (m,) = ledger.post([MoveSpec(p.id, w.id, Decimal(-5), "shipment")])
    assert m.value == Decimal(-15) and m.unit_cost == Decimal(3)
    assert ledger.level(p.id, w.id).quantity == Decimal(15)


def test_going_negative_is_refused_and_nothing_is_posted(make_product, make_warehouse):
    p, w = make_product(), make_warehouse()
    ledger.post([MoveSpec(p.id, w.id, Decimal(3), "receipt", unit_cost=Decimal(1))])
    with pytest.raises(InsufficientStock):
        ledger.post([MoveSpec(p.id, w.id, Decimal(-1), "shipment"), MoveSpec(p.id, w.id, Decimal(-3), "shipment")])
    assert ledger.level(p.id, w.id).quantity == Decimal(3)
    assert db.session.query(StockMove).count() == 1


def test_moves_cannot_be_changed(make_product, make_warehouse):
    p, w = make_product(), make_warehouse()
    (m,) = ledger.post([MoveSpec(p.id, w.id, Decimal(3), "receipt", unit_cost=Decimal(1))])
    m = db.session.get(StockMove, m.id)
    m.quantity = Decimal(5)
    with pytest.raises(ImmutableMove):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(StockMove, m.id))
    with pytest.raises(ImmutableMove):
        db.session.flush()
    db.session.rollback()
