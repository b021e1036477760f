import json
from datetime import timedelta

from odoo.tests import tagged

from odoo.addons.carshare_portal_billing.tests.common import CarsharePortalBillingCase


@tagged("post_install", "-at_install")
class TestPortalAccessPayment(CarsharePortalBillingCase):
    """The driver's card and deposits in the portal."""

    def test_card_form_with_stripe(self):
        provider = self.env.ref("payment.payment_provider_stripe")
        provider.write(
            {
                "state": "test",
                "is_published": True,
                "allow_tokenization": True,
                "stripe_secret_key": "sk_test_portal",
                "stripe_publishable_key": "pk_test_portal",
            }
        )
        self.login(self.alice)
        page = self.url_open(self.booking_later.access_url).text
        self.assertIn("o_carshare_card_form", page)
        self.assertIn('id="o_payment_form"', page)
        self.assertNotIn("o_carshare_card_form", self.url_open(self.booking_soon.access_url).text)

    def _deposit(self, booking, **values):
        return self.env["carshare.deposit"].create(
            {
                "booking_id": booking.id,
                "partner_id": booking.partner_id.id,
                "company_id": booking.company_id.id,
                "currency_id": booking.company_id.currency_id.id,
                "amount": 150.0,
                **values,
            }
        )

    def test_deposits_are_the_drivers_own(self):
        bobs_booking = self._confirmed(
            self.car, self.booking_later.date_start + timedelta(days=1), driver=self.bob
        )
        self._deposit(self.booking_later)
        self._deposit(bobs_booking, state="held")
        self.login(self.alice)
        page = self.url_open("/my/carshare/deposits").text
        self.assertIn(self.booking_later.name, page)
        self.assertNotIn(bobs_booking.name, page)
        self.assertIn("Card to Register", page)
        booking_page = self.url_open(self.booking_later.access_url).text
        self.assertIn("o_carshare_deposit", booking_page)
        self.assertIn("/my/payment_method", booking_page)
        counters = self.url_open(
            "/my/counters",
            data=json.dumps({"params": {"counters": ["carshare_deposit_count"]}}),
            headers={"Content-Type": "application/json"},
        ).json()["result"]
        self.assertEqual(counters["carshare_deposit_count"], 1)
        self.login(self.bob)
        page = self.url_open("/my/carshare/deposits").text
        self.assertIn(bobs_booking.name, page)
        self.assertNotIn(self.booking_later.name, page)
