"""Document state machines (backend.domain.flows) without a database: tables, refusals, status groups."""
import pytest

from backend.domain.flows import (
    ADJUSTMENT_FLOW,
    FLOWS,
    PO_FLOW,
    SO_FLOW,
    STOCKTAKE_FLOW,
    TRANSFER_FLOW,
)
from backend.errors import InvalidTransition


def test_an_allowed_action_gives_its_target_and_a_none_target_keeps_the_status():
    assert PO_FLOW.next("draft", "submit") == "submitted"
    assert PO_FLOW.next("approved", "receive") == "approved"  # the service decides partially/fully received
    assert SO_FLOW.next("submitted", "approve") == "submitted"  # stays until the last level


def test_an_illegal_action_is_refused_with_the_allowed_ones():
    with pytest.raises(InvalidTransition) as exc:
        PO_FLOW.next("received", "cancel")
    assert exc.value.errors == {"status": "received", "action": "cancel", "allowed": ["close", "return_goods"]}
    assert exc.value.message_zh == "采购订单当前状态为 received，不能执行 cancel。"


def test_unknown_actions_are_never_allowed():
    assert not SO_FLOW.can("draft", "teleport")
    assert SO_FLOW.allowed("cancelled") == []


@pytest.mark.parametrize("flow", list(FLOWS.values()), ids=list(FLOWS))
def test_every_transition_and_group_names_declared_statuses_only(flow):
    states = set(flow.states)
    for sources, target in flow.transitions.values():
        assert set(sources) <= states and (target is None or target in states)
    for group in flow.groups.values():
        assert set(group) <= states


@pytest.mark.parametrize(("flow", "group", "statuses"), [
    (PO_FLOW, "open", ("submitted", "approved", "partially_received")),
    (PO_FLOW, "ordered", ("approved", "partially_received", "received", "closed")),
    (SO_FLOW, "open", ("submitted", "approved", "partially_shipped")),
    (SO_FLOW, "editable", ("draft", "submitted", "approved", "rejected")),
    (TRANSFER_FLOW, "in_transit", ("in_transit", "partially_received", "discrepancy")),
    (STOCKTAKE_FLOW, "open", ("counting", "submitted")),
    (ADJUSTMENT_FLOW, "pending", ("pending_approval",)),
])
def test_status_groups(flow, group, statuses):
    assert flow.group(group) == statuses


def test_an_unknown_group_is_an_error_not_an_empty_selection():
    with pytest.raises(KeyError):
        PO_FLOW.group("opne")


def test_editing_is_possible_exactly_in_the_editable_group():
    for status in SO_FLOW.states:
        assert SO_FLOW.can(status, "edit") == (status in SO_FLOW.group("editable"))
