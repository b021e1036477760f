from datetime import timedelta

from werkzeug.urls import url_encode

from odoo import Command, fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CarsharePortalBillingCase


@tagged("post_install", "-at_install")
class TestPortalAccessBilling(CarsharePortalBillingCase):
    """The driver's invoices and prices in the portal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.alice.partner_id.id,
                "invoice_line_ids": [
                    Command.create({"name": "Trip", "quantity": 1, "price_unit": 10.0})
                ],
            }
        )
        cls.invoice.action_post()

    def test_owner_reaches_her_invoice(self):
        self.login(self.alice)
        page = self.url_open(f"/my/invoices/{self.invoice.id}")
        self.assertIn(self.invoice.name, page.text)

    @mute_logger("odoo.http")
    def test_other_driver_gets_no_invoice(self):
        self.login(self.bob)
        invoice = self.url_open(f"/my/invoices/{self.invoice.id}")
        self.assertNotIn(self.invoice.name, invoice.text)
        self.assertTrue(invoice.url.endswith("/my"), "Odoo's invoice page sends strangers home")

    def test_book_page_prices_the_buyback(self):
        self.login(self.bob)
        start = self.booking_later.date_start + timedelta(days=3)
        query = url_encode(
            {
                "vehicle_id": self.car.id,
                "date_start": fields.Datetime.to_string(start),
                "date_end": fields.Datetime.to_string(start + timedelta(hours=2)),
            }
        )
        page = self.url_open(f"/my/carshare/book?{query}").text
        self.assertIn("o_carshare_buyback_price", page)
        self.assertRegex(page, r"7\.60")

    def test_booking_page_prices_and_fee(self):
        self.login(self.alice)
        page = self.url_open(self.booking_later.access_url).text
        self.assertIn("o_carshare_price", page)
        self.assertIn("o_carshare_cancellation_fee", page)
