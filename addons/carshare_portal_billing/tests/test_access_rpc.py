"""Regressions of issue 13 from the outside: the billing's actions over JSON-RPC."""

from odoo.tests import tagged

from odoo.addons.carshare_portal.tests.test_access_rpc import AccessRpcCase

from .common import BillingCaseMixin


@tagged("post_install", "-at_install")
class TestAccessRpcBilling(BillingCaseMixin, AccessRpcCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.community.billing_requires_validation = True

    def test_validate_billing_refused_to_driver_and_agent(self):
        """Defect 1: the returned booking waits for the manager to add a penalty."""
        booking = self.booking_driving
        booking.action_return()
        self.assertEqual(booking.billing_state, "to_validate")
        for user in (self.alice, self.agent):
            self.login(user)
            self.assertRefused(
                self.call_kw("carshare.booking", "action_validate_billing", [booking.ids])
            )
        booking.invalidate_recordset()
        self.assertEqual(booking.billing_state, "to_validate")
        self.login(self.manager)
        answer = self.call_kw("carshare.booking", "action_validate_billing", [booking.ids])
        self.assertTrue(answer.get("result"), answer)

    def test_reprice_billing_refused_and_names_no_booking(self):
        """Defect 2: a resident reprices nobody's booking, and learns no reference."""
        order = self.booking_later.sale_order_id
        total = order.amount_total
        self.login(self.bob)
        for booking in (self.booking_later, self.booking_soon):
            message = self.assertRefused(
                self.call_kw("carshare.booking", "action_reprice_billing", [booking.ids])
            )
            self.assertNotIn(booking.name, message)
        self.assertEqual(order.amount_total, total)
