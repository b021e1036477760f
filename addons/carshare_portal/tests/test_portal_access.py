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
        listing = self.url_open("/my/carshare/bookings").text
        self.assertIn(self.booking_soon.name, listing)

    @mute_logger("odoo.http")
    def test_other_driver_gets_not_found(self):
        self.login(self.bob)
        for url in self.alice_urls():
            self.assertEqual(self.url_open(url).status_code, 404, url)
        token = self.csrf_token("/my/carshare/bookings")
        for action in ("cancel", "extend"):
            url = f"/my/carshare/bookings/{self.booking_later.id}/{action}"
            response = self.url_open(url, data={"csrf_token": token})
            self.assertEqual(response.status_code, 404, url)
        self.assertEqual(self.booking_later.state, "confirmed")
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

    def test_book_page_without_prices(self):
        """Without the billing, the booking form and the booking show no price."""
        if "carshare_insurance_buyback" in self.env["carshare.booking"]._fields:
            self.skipTest("carshare_portal_billing shows the billing")
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
        self.assertIn("o_carshare_confirm", page)
        self.assertNotIn("o_carshare_price", page)
        self.assertNotIn("insurance_buyback", page)
        self.login(self.alice)
        page = self.url_open(self.booking_later.access_url).text
        self.assertIn("o_carshare_cancel", page)
        self.assertNotIn("o_carshare_price", page)
        self.assertNotIn("o_carshare_cancellation_fee", page)
