from datetime import timedelta
from unittest import SkipTest

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged

from odoo.addons.carshare_fleet.tests.screens import ScreensCase
from odoo.addons.carshare_portal_billing.tests.common import CarsharePortalBillingCase


@tagged("post_install", "-at_install")
class TestResidentScreens(CarsharePortalBillingCase, ScreensCase):
    """Bob, a resident, searches, books, leaves a card with Odoo's demo provider, sees his
    code, opens the key box, files his check-out report, reads last week's invoice and his
    deposits, without an error in the browser. The key box needs carshare_iot, and the card
    payment_demo: scripts/test installs both."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "carshare.iot.device" not in cls.env or "demo" not in dict(
            cls.env["payment.provider"]._fields["code"].selection
        ):
            raise SkipTest("the resident's walk needs carshare_iot and payment_demo")
        cls.bob.lang = cls.screens_lang()
        cls.keybox = cls.env["carshare.iot.device"].create(
            {
                "name": "Key box Gare",
                "identifier": "screens-keybox",
                "kind": "keybox",
                "station_id": cls.station.id,
            }
        )
        provider = cls.env.ref("payment.payment_provider_demo").sudo()
        provider.write({"state": "test", "capture_manually": True})
        cls.env.company.carshare_card_provider_id = provider
        cls.last_week = cls._past_trip(cls.car_booked, fields.Datetime.now() - timedelta(days=7))
        # Odoo's sending queue prints the posted invoice as its legal document (unstyled: the
        # server cannot serve this test's transaction to wkhtmltopdf).
        cls.env["ir.config_parameter"].sudo().set_param("report.url", "http://127.0.0.1:9")
        cls.env["account.move"].with_context(force_report_rendering=True)._cron_account_move_send()

    @classmethod
    def _past_trip(cls, vehicle, start):
        """Bob's 2 hours ``start`` (naive UTC), booked two days before, 35 km driven."""
        start = start.replace(second=0, microsecond=0)
        with freeze_time(start - timedelta(days=2)):
            booking = cls.env["carshare.booking"].create(
                {
                    "community_id": cls.community.id,
                    "partner_id": cls.bob.partner_id.id,
                    "vehicle_id": vehicle.id,
                    "date_start": start,
                    "date_end": start + timedelta(hours=2),
                    "usage": "perso",
                }
            )
            booking.action_confirm()
        with freeze_time(start):
            booking.action_start()
        with freeze_time(start + timedelta(hours=2)):
            # queue_job's documented synchronous mode: the return's invoicing job runs at once.
            booking.with_context(queue_job__no_delay=True).action_return(
                odometer=booking.odometer_start + 35
            )
        return booking

    def test_resident_screens(self):
        self.assertTrue(self.last_week.carshare_invoice_ids, "last week's trip is invoiced")
        self.assertTrue(self.last_week.carshare_invoice_ids.invoice_pdf_report_id)
        start = fields.Datetime.now().replace(second=0, microsecond=0) + timedelta(minutes=10)
        self.start_tour(
            f"/my/carshare/vehicles?community_id={self.community.id}"
            f"&station_id={self.station.id}"
            f"&date_start={self.local_input(start)}"
            f"&date_end={self.local_input(start + timedelta(hours=2))}",
            "carshare_screens_resident_book",
            login="bob",
        )
        booking = self.env["carshare.booking"].search(
            [("partner_id", "=", self.bob.partner_id.id), ("state", "=", "confirmed")]
        )
        self.assertEqual(booking.vehicle_id, self.car_booked)
        deposit = booking.carshare_deposit_ids
        card = self.env["carshare.deposit"]._card_token(deposit.partner_id, deposit.company_id)
        self.assertEqual(card.payment_details, "4242 4242 4242 4242")
        deposit._carshare_place_hold_if_card()
        self.assertEqual(deposit.state, "held")
        self.assertEqual(deposit.hold_transaction_id.token_id, card)
        self.assertAlmostEqual(deposit.hold_transaction_id.amount, 150.0)

        self.start_tour(booking.access_url, "carshare_screens_resident_drive", login="bob")
        unlock = self.keybox.command_ids.filtered(lambda c: c.command_type == "unlock")
        self.assertEqual(unlock.booking_id, booking)
        self.assertEqual(booking.inspection_ids.kind, "checkout")
        self.assertScreenshots(
            "resident-search",
            "resident-book",
            "resident-card",
            "resident-code",
            "resident-unlock",
            "resident-report",
            "resident-invoice",
            "resident-deposits",
        )
