import json
from datetime import timedelta

from werkzeug.urls import url_encode

from odoo import Command, fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CarsharePortalCase, pdf_bytes, png_bytes


@tagged("post_install", "-at_install")
class TestPortalAccess(CarsharePortalCase):
    """What a portal user reaches, by URL as well as by menu."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        inspection = cls.env["carshare.inspection"].create(
            {
                "kind": "checkout",
                "booking_id": cls.booking_driving.id,
                "vehicle_id": cls.car_driven.id,
                "partner_id": cls.alice.partner_id.id,
                "damage_ids": [
                    Command.create({"description": "Scratch", "photo": cls.b64(png_bytes())})
                ],
            }
        )
        cls.photo = cls.env["ir.attachment"].create(
            {
                "name": "front.png",
                "raw": png_bytes(),
                "res_model": "carshare.inspection",
                "res_id": inspection.id,
            }
        )
        inspection.photo_ids = cls.photo
        cls.inspection = inspection
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

    def alice_urls(self):
        booking = self.booking_driving
        return [
            f"/my/carshare/bookings/{booking.id}",
            f"/my/carshare/bookings/{booking.id}/ics",
            f"/my/carshare/bookings/{booking.id}/report/checkin",
            f"/my/carshare/reports/{self.inspection.id}/photos/{self.photo.id}",
            f"/my/carshare/damages/{self.inspection.damage_ids.id}/photo",
        ]

    def test_owner_reaches_her_pages(self):
        self.login(self.alice)
        for url in self.alice_urls():
            self.assertEqual(self.url_open(url).status_code, 200, url)
        page = self.url_open(f"/my/invoices/{self.invoice.id}")
        self.assertIn(self.invoice.name, page.text)
        listing = self.url_open("/my/carshare/bookings").text
        self.assertIn(self.booking_soon.name, listing)

    @mute_logger("odoo.http")
    def test_other_driver_gets_not_found(self):
        self.login(self.bob)
        for url in self.alice_urls():
            self.assertEqual(self.url_open(url).status_code, 404, url)
        token = self.csrf_token("/my/carshare/bookings")
        for action in ("cancel", "extend", "unlock"):
            url = f"/my/carshare/bookings/{self.booking_later.id}/{action}"
            response = self.url_open(url, data={"csrf_token": token})
            self.assertEqual(response.status_code, 404, url)
        self.assertEqual(self.booking_later.state, "confirmed")
        invoice = self.url_open(f"/my/invoices/{self.invoice.id}")
        self.assertNotIn(self.invoice.name, invoice.text)
        self.assertTrue(invoice.url.endswith("/my"), "Odoo's invoice page sends strangers home")
        self.assertNotIn(self.booking_soon.name, self.url_open("/my/carshare/bookings").text)

    @mute_logger("odoo.http")
    def test_access_token(self):
        booking = self.booking_soon
        booking._portal_ensure_token()
        url = f"/my/carshare/bookings/{booking.id}"
        self.assertEqual(self.url_open(url).status_code, 404, "no token, not logged in")
        self.assertEqual(self.url_open(f"{url}?access_token=wrong").status_code, 404)
        self.login(self.bob)
        self.assertEqual(self.url_open(f"{url}?access_token=wrong").status_code, 404)
        page = self.url_open(f"{url}?access_token={booking.access_token}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(booking.access_code, page.text)
        self.assertNotIn("o_carshare_cancel", page.text, "only the logged-in driver acts")
        ics = self.url_open(f"{url}/ics?access_token=wrong")
        self.assertEqual(ics.status_code, 404)

    def test_code_only_within_its_window(self):
        self.login(self.alice)
        soon = self.url_open(self.booking_soon.access_url).text
        self.assertIn(self.booking_soon.access_code, soon)
        later = self.url_open(self.booking_later.access_url).text
        self.assertNotIn(self.booking_later.access_code, later)
        self.assertIn("o_carshare_code_later", later)
        ics = self.url_open(f"{self.booking_soon.access_url}/ics")
        self.assertEqual(ics.headers["Content-Type"], "text/calendar; charset=utf-8")
        self.assertIn("BEGIN:VEVENT", ics.text)
        self.assertNotIn(self.booking_soon.access_code, ics.text)

    @mute_logger("odoo.http")
    def test_employer_reads_professional_bookings_only(self):
        self.login(self.accountant)
        listing = self.url_open("/my/carshare/employees").text
        self.assertIn(self.booking_soon.name, listing)
        self.assertNotIn(self.booking_later.name, listing)
        page = self.url_open(self.booking_soon.access_url)
        self.assertEqual(page.status_code, 200)
        self.assertNotIn(self.booking_soon.access_code, page.text)
        self.assertNotIn("o_carshare_cancel", page.text)
        self.assertEqual(self.url_open(self.booking_later.access_url).status_code, 404)
        token = self.csrf_token("/my/carshare/employees")
        cancel = f"/my/carshare/bookings/{self.booking_soon.id}/cancel"
        self.assertEqual(self.url_open(cancel, data={"csrf_token": token}).status_code, 404)
        self.assertEqual(self.booking_soon.state, "confirmed")

    @mute_logger("odoo.http")
    def test_csrf_required(self):
        self.login(self.alice)
        url = f"/my/carshare/bookings/{self.booking_later.id}/cancel"
        self.assertEqual(self.url_open(url, data={"csrf_token": "forged"}).status_code, 400)
        self.assertEqual(self.url_open(url, data={"reason": "none"}).status_code, 400)
        self.assertEqual(self.booking_later.state, "confirmed")

    def test_uploads_checked_by_size_and_content(self):
        self.login(self.alice)
        self.env["ir.config_parameter"].set_param("carshare_portal.max_upload_mb", 1)
        partner = self.alice.partner_id
        token = self.csrf_token("/my/carshare/documents")
        form = {
            "csrf_token": token,
            "carshare_birthdate": fields.Date.to_string(partner.carshare_birthdate),
            "driving_licence_number": "NEW-NUMBER",
            "driving_licence_category": "B",
            "driving_licence_issue_date": fields.Date.to_string(partner.driving_licence_issue_date),
        }
        big = png_bytes() + b"\x00" * (1024 * 1024)
        cases = [
            (big, "is larger than 1 MB"),
            (b"MZ\x90\x00 not a picture", "is not a JPEG, PNG or PDF file."),
        ]
        for content, error in cases:
            files = {"driving_licence_scan": ("licence.png", content, "image/png")}
            page = self.url_open("/my/carshare/documents", data=form, files=files)
            self.assertIn(error, page.text)
            partner.invalidate_recordset()
            self.assertNotEqual(partner.driving_licence_number, "NEW-NUMBER")
        files = {"driving_licence_scan": ("licence.bin", pdf_bytes(), "text/plain")}
        page = self.url_open("/my/carshare/documents", data=form, files=files)
        self.assertIn("Your documents are updated", page.text)
        partner.invalidate_recordset()
        self.assertEqual(partner.driving_licence_number, "NEW-NUMBER")
        self.assertEqual(partner.driving_licence_scan_filename, "licence.bin")

    def test_report_photo_must_be_a_picture(self):
        self.login(self.alice)
        url = f"/my/carshare/bookings/{self.booking_driving.id}/report/checkin"
        form = {"csrf_token": self.csrf_token(url), "odometer": "1020"}
        files = {"photos": ("photo.jpg", b"%PDF-1.4 not a picture", "image/jpeg")}
        page = self.url_open(url, data=form, files=files)
        self.assertIn("is not a JPEG or PNG picture.", page.text)
        self.assertFalse(
            self.booking_driving.inspection_ids.filtered(lambda i: i.kind == "checkin")
        )

    def test_rate_limit(self):
        self.community.write({"portal_rate_limit": 1, "portal_rate_window": 10})
        self.login(self.bob)
        start = fields.Datetime.now().replace(second=0, microsecond=0) + timedelta(days=3)
        bookings = self.env["carshare.booking"].search(
            [("partner_id", "=", self.bob.partner_id.id)]
        )
        for day, expected in ((0, "Your booking is confirmed"), (1, "too many requests")):
            query = {
                "vehicle_id": self.car.id,
                "date_start": fields.Datetime.to_string(start + timedelta(days=day)),
                "date_end": fields.Datetime.to_string(start + timedelta(days=day, hours=2)),
            }
            url = f"/my/carshare/book?{'&'.join(f'{k}={v}' for k, v in query.items())}"
            page = self.url_open(url, data={"csrf_token": self.csrf_token(url), **query})
            self.assertIn(expected, page.text)
        created = self.env["carshare.booking"].search([("partner_id", "=", self.bob.partner_id.id)])
        self.assertEqual(len(created - bookings), 1)

    def test_french(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["carshare_portal"], ["fr_FR"], True)
        self.alice.lang = "fr_FR"
        self.login(self.alice)
        page = self.url_open("/my/carshare/bookings").text
        self.assertIn("Mes réservations", page)
        detail = self.url_open(self.booking_later.access_url).text
        self.assertIn("Ajouter à mon agenda", detail)

    def test_anonymous_visitor_logs_in_first(self):
        response = self.url_open("/my/carshare/signup", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn("/web/login?redirect=", response.headers["Location"])

    def test_search_shows_the_backend_rules(self):
        self.login(self.alice)
        start = fields.Datetime.now() + timedelta(days=1)
        url = (
            f"/my/carshare/vehicles?community_id={self.community.id}"
            f"&date_start={self.local_input(start)}"
            f"&date_end={self.local_input(start + timedelta(hours=2))}"
        )
        page = self.url_open(url).text
        self.assertIn("You already have 3 upcoming bookings", page)
        self.assertIn("PT-001-AA", page)
        self.assertNotIn("o_carshare_book", page, "nothing to book while a rule says no")

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

    def test_unlock_where_the_vehicle_has_a_box(self):
        if "carshare.iot.device" not in self.env:
            self.skipTest("carshare_iot is not installed")
        self.login(self.alice)
        url = self.booking_driving.access_url
        self.assertNotIn("o_carshare_unlock", self.url_open(url).text)
        box = self.env["carshare.iot.device"].create(
            {
                "name": "Box",
                "identifier": "portal-test-box",
                "kind": "telematics",
                "vehicle_id": self.car_driven.id,
            }
        )
        self.assertIn("o_carshare_unlock", self.url_open(url).text)
        response = self.url_open(f"{url}/unlock", data={"csrf_token": self.csrf_token(url)})
        self.assertIn("The vehicle is being unlocked", response.text)
        unlock = self.env["carshare.iot.command"].search(
            [("booking_id", "=", self.booking_driving.id), ("command_type", "=", "unlock")]
        )
        self.assertEqual(unlock.device_id, box)
        self.assertEqual(unlock.state, "pending")
