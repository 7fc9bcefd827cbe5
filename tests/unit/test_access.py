"""The warehouse-scope rule (backend.services.access) without a database: users are plain objects."""
from types import SimpleNamespace

import pytest

from backend.errors import PermissionDenied
from backend.services.access import ensure_any_warehouse, ensure_warehouse, require, visible_warehouses

BOUND = SimpleNamespace(warehouse_ids={1, 2}, can=lambda perm: perm == "stock.view")
EVERYWHERE = SimpleNamespace(warehouse_ids=None, can=lambda perm: True)


def test_the_system_and_unbound_users_see_every_warehouse():
    assert visible_warehouses(None) is None
    assert visible_warehouses(EVERYWHERE) is None
    assert visible_warehouses(BOUND) == {1, 2}


def test_a_bound_user_acts_only_in_their_warehouses():
    ensure_warehouse(BOUND, 2)
    ensure_warehouse(None, 3)
    with pytest.raises(PermissionDenied) as exc:
        ensure_warehouse(BOUND, 3)
    assert (exc.value.code, exc.value.errors) == ("warehouse_forbidden", {"warehouse_id": 3})


def test_one_of_several_warehouses_is_enough():
    ensure_any_warehouse(BOUND, (3, 2), "Not yours.", "不是您的。")
    with pytest.raises(PermissionDenied) as exc:
        ensure_any_warehouse(BOUND, (3, 4), "Not yours.", "不是您的。")
    assert exc.value.code == "warehouse_forbidden"


def test_services_check_permissions_for_every_caller_but_the_system():
    require(BOUND, "stock.view")
    require(None, "user.admin")
    with pytest.raises(PermissionDenied):
        require(BOUND, "stock.adjust")
