from odoo.tests import tagged

from odoo.addons.carshare_billing.tests.common import FRIDAY_9H
from odoo.addons.carshare_billing.tests.screens import AccountantScreensCase

from .common import CarshareSepaCase


@tagged("post_install", "-at_install")
class TestSepaScreens(CarshareSepaCase, AccountantScreensCase):
    """The accountant opens Acme's SEPA payment order without an error in the browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._sepa_setup()
        cls.accountant = cls._screens_accountant()

    def test_accountant_payment_order_screen(self):
        """Acme's January, Bob 2 h (3.00 + 1.00) and Carol 1 h (1.50 + 1.00), is debited
        6.50."""
        self._trip(FRIDAY_9H, 2, driver=self.bob, usage="pro", vehicle=self.vehicle_2)
        self._trip(FRIDAY_9H.replace(day=14), 1, driver=self.carol, usage="pro")
        order = self._month_end().line_ids.payment_line_ids.order_id
        self.assertAlmostEqual(sum(order.payment_line_ids.mapped("amount_currency")), 6.5)
        order.draft2open()
        order.open2generated()
        self.start_tour(
            "/odoo/action-carshare_billing.action_carshare_invoices",
            "carshare_screens_accountant_sepa",
            login=self.accountant.login,
        )
        self.assertScreenshots("accountant-payment-order")
