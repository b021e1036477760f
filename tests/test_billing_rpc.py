"""The billing's money actions as JSON-RPC clients see them: refusals, never server errors."""

import pytest
from conftest import RpcError

RESIDENT = ("resident@example.com", "resident")


def _marie_booking(odoo):
    partner = odoo.execute(
        "ir.model.data", "check_object_reference", "carshare_fleet", "partner_marie_dubois"
    )[1]
    bookings = odoo.execute("carshare.booking", "search", [("partner_id", "=", partner)], limit=1)
    assert bookings, "the demo data gives Marie Dubois bookings"
    return bookings


def test_resident_cannot_bill_a_booking_again(odoo):
    """A resident calling the managers' Bill Again on her own booking is refused."""
    bookings = _marie_booking(odoo)
    with pytest.raises(RpcError) as refusal:
        odoo.execute("carshare.booking", "action_carshare_bill_again", bookings, user=RESIDENT)
    assert refusal.value.name == "odoo.exceptions.AccessError"


def test_billing_again_a_booking_not_credited_is_refused(odoo):
    """A manager's Bill Again on a booking no credit note refunded says why."""
    bookings = _marie_booking(odoo)
    state = odoo.execute("carshare.booking", "read", bookings, ["billing_state"])[0]
    assert state["billing_state"] != "credited"
    with pytest.raises(RpcError) as refusal:
        odoo.execute("carshare.booking", "action_carshare_bill_again", bookings)
    assert refusal.value.name == "odoo.exceptions.UserError"
    assert "not refunded by a credit note" in str(refusal.value)
