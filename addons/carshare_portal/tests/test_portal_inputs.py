import io
from datetime import datetime, timedelta

import pytz
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from werkzeug.urls import url_encode

from odoo import Command, fields
from odoo.tests import BaseCase, tagged
from odoo.tools import mute_logger

from ..controllers.common import FILENAME_LIMIT, CarsharePortalBase
from .common import CarsharePortalCase, pdf_bytes, png_bytes


@tagged("post_install", "-at_install")
class TestPortalInputs(CarsharePortalCase):
    """What a resident types or uploads, bounded and answered by the portal's own messages."""

    def report_form(self, **values):
        url = f"/my/carshare/bookings/{self.booking_driving.id}/report/checkin"
        return url, {"csrf_token": self.csrf_token(url), "odometer": "1020", **values}

    def checkins(self):
        return self.booking_driving.inspection_ids.filtered(lambda i: i.kind == "checkin")

    def documents_form(self, **values):
        partner = self.alice.partner_id
        return {
            "csrf_token": self.csrf_token("/my/carshare/documents"),
            "carshare_birthdate": fields.Date.to_string(partner.carshare_birthdate),
            "driving_licence_number": partner.driving_licence_number,
            "driving_licence_category": "B",
            "driving_licence_issue_date": fields.Date.to_string(partner.driving_licence_issue_date),
            "driving_licence_expiry_date": fields.Date.to_string(
                partner.driving_licence_expiry_date
            ),
            **values,
        }

    # -- dates -----------------------------------------------------------------------------------

    def test_year_9999_answered_by_the_portal(self):
        self.login(self.bob)
        query = url_encode({"date_start": "9999-12-31T10:00", "date_end": "9999-12-31T12:00"})
        page = self.url_open(f"/my/carshare/vehicles?{query}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("days ahead", page.text)
        query = {
            "vehicle_id": self.car.id,
            "date_start": "9999-12-31 10:00:00",
            "date_end": "9999-12-31 12:00:00",
        }
        url = f"/my/carshare/book?{url_encode(query)}"
        page = self.url_open(url)
        self.assertEqual(page.status_code, 200)
        self.assertIn("days ahead", page.text)
        posted = self.url_open(url, data={"csrf_token": self.csrf_token(url), **query})
        self.assertEqual(posted.status_code, 200)
        self.assertIn("days ahead", posted.text)
        self.assertFalse(
            self.env["carshare.booking"].search([("date_start", ">", "9000-01-01")]),
        )

    def test_local_times_that_do_not_exist_or_happen_twice(self):
        """2027-03-28 02:30 does not exist in Paris (clocks go forward); 2027-10-31 02:30
        happens twice (they go back): both refused with the reason, neither moved."""
        self.login(self.bob)
        cases = [
            ("2027-03-28T02:30", "does not exist in Europe/Paris: the clocks go forward"),
            ("2027-10-31T02:30", "happens twice in Europe/Paris: the clocks go back"),
        ]
        for value, message in cases:
            with self.subTest(value=value):
                query = url_encode({"date_start": value, "date_end": "2027-11-02T10:00"})
                page = self.url_open(f"/my/carshare/vehicles?{query}")
                self.assertEqual(page.status_code, 200)
                self.assertIn(message, page.text)
        self.login(self.alice)
        booking = self.booking_later
        url = f"/my/carshare/bookings/{booking.id}/extend"
        token = self.csrf_token(booking.access_url)
        end = booking.date_end
        page = self.url_open(url, data={"csrf_token": token, "date_end": "2027-03-28T02:30"})
        self.assertIn("the clocks go forward", page.text)
        page = self.url_open(url, data={"csrf_token": token, "date_end": "9999-12-31T23:59"})
        self.assertEqual(page.status_code, 200)
        self.assertIn("A booking lasts between", page.text)
        booking.invalidate_recordset()
        self.assertEqual(booking.date_end, end)

    # -- booking changes and verification --------------------------------------------------------

    def test_resident_extends_weekend_into_priority_hours(self):
        """Issue 13, defect 5, from the portal: a Saturday booking may not reach into the
        Monday office hours a resident could not book directly."""
        calendar = self.env["resource.calendar"].create(
            {
                "name": "Office hours",
                "tz": "Europe/Paris",
                "attendance_ids": [Command.clear()]
                + [
                    Command.create(
                        {
                            "name": f"Day {day}",
                            "dayofweek": str(day),
                            "hour_from": 8.0,
                            "hour_to": 18.0,
                            "day_period": "morning",
                        }
                    )
                    for day in range(5)
                ],
            }
        )
        self.community.priority_calendar_id = calendar
        paris = pytz.timezone("Europe/Paris")
        today = fields.Date.today()
        saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
        start = paris.localize(datetime.combine(saturday, datetime.min.time()).replace(hour=10))
        # A week later, so that the release delay has not started whatever today is.
        start = start.astimezone(pytz.utc).replace(tzinfo=None) + timedelta(days=7)
        booking = self._confirmed(self.car, start, driver=self.bob)
        monday = booking.date_start + timedelta(days=2)
        self.login(self.bob)
        page = self.url_open(
            f"/my/carshare/bookings/{booking.id}/extend",
            data={
                "csrf_token": self.csrf_token(booking.access_url),
                "date_end": self.local_input(monday),
            },
        )
        self.assertEqual(page.status_code, 200)
        self.assertIn("priority hours", page.text)
        booking.invalidate_recordset()
        self.assertEqual(booking.date_end, booking.date_start + timedelta(hours=3))

    def test_licence_change_waits_for_verification(self):
        """Issue 13, defect 6: a new expiry date typed in the portal clears the verification;
        booking waits for a manager."""
        self.login(self.alice)
        expiry = fields.Date.today() + timedelta(days=3650)
        form = self.documents_form(driving_licence_expiry_date=fields.Date.to_string(expiry))
        page = self.url_open("/my/carshare/documents", data=form)
        self.assertIn("Your documents are updated", page.text)
        partner = self.alice.partner_id
        partner.invalidate_recordset()
        self.assertFalse(partner.carshare_verified_on)
        start = fields.Datetime.now().replace(second=0, microsecond=0) + timedelta(days=5)
        query = {
            "vehicle_id": self.car.id,
            "date_start": fields.Datetime.to_string(start),
            "date_end": fields.Datetime.to_string(start + timedelta(hours=2)),
        }
        url = f"/my/carshare/book?{url_encode(query)}"
        page = self.url_open(url, data={"csrf_token": self.csrf_token(url), **query})
        self.assertIn("must verify your documents before you can book", page.text)
        self.assertFalse(
            self.env["carshare.booking"].search(
                [("partner_id", "=", partner.id), ("date_start", "=", start)]
            )
        )

    # -- numbers and texts -----------------------------------------------------------------------

    def test_report_numbers_bounded(self):
        """Issue 13, defect 7: inf, nan and 1e300 never become the vehicle's odometer."""
        self.login(self.alice)
        cases = [
            ({"odometer": "inf"}, "inf is not a number."),
            ({"odometer": "nan"}, "nan is not a number."),
            ({"odometer": "1e300"}, "The odometer must read between 0 and"),
            ({"odometer": "-5"}, "The odometer must read between 0 and"),
            ({"energy_level": "101"}, "The energy level must be between 0 and 100 %"),
        ]
        for values, message in cases:
            with self.subTest(values=values):
                url, form = self.report_form(**values)
                page = self.url_open(url, data=form)
                self.assertEqual(page.status_code, 200)
                self.assertIn(message, page.text)
                self.assertFalse(self.checkins())

    def test_texts_bounded(self):
        self.login(self.alice)
        url, form = self.report_form(remarks="x" * 1_000_000)
        page = self.url_open(url, data=form)
        self.assertIn("This text is too long: at most 2000 characters.", page.text)
        url, form = self.report_form(damage_0_description="d" * 257)
        self.assertIn("at most 256 characters", self.url_open(url, data=form).text)
        self.assertFalse(self.checkins())
        number = self.alice.partner_id.driving_licence_number
        form = self.documents_form(driving_licence_number="9" * 1_000_000)
        page = self.url_open("/my/carshare/documents", data=form)
        self.assertIn("at most 32 characters", page.text)
        self.alice.partner_id.invalidate_recordset()
        self.assertEqual(self.alice.partner_id.driving_licence_number, number)

    def test_document_dates_bounded(self):
        self.login(self.alice)
        partner = self.alice.partner_id
        before = partner.read(["carshare_birthdate", "driving_licence_issue_date"])
        cases = [
            ({"carshare_birthdate": "1900-01-01"}, "age between 0 and 120 years"),
            ({"carshare_birthdate": "2090-01-01"}, "age between 0 and 120 years"),
            (
                {"carshare_birthdate": fields.Date.to_string(fields.Date.today())},
                "You must be at least 18 years old to drive.",
            ),
            ({"driving_licence_issue_date": "9999-12-31"}, "must be issued by today"),
            (
                {"driving_licence_expiry_date": "2001-01-01"},
                "cannot expire before it was issued",
            ),
        ]
        for values, message in cases:
            with self.subTest(values=values):
                page = self.url_open("/my/carshare/documents", data=self.documents_form(**values))
                self.assertEqual(page.status_code, 200)
                self.assertIn(message, page.text)
        partner.invalidate_recordset()
        self.assertEqual(partner.read(["carshare_birthdate", "driving_licence_issue_date"]), before)

    # -- files -----------------------------------------------------------------------------------

    def test_photo_reencoded(self):
        """A PNG signature followed by script: the stored photo is the picture Pillow read,
        encoded again, without what was appended."""
        self.login(self.alice)
        script = b"<script>alert(document.cookie)</script>"
        url, form = self.report_form()
        files = [
            ("photos", ("front.png", png_bytes() + script, "image/png")),
            ("damage_0_photo", ("scratch.png", png_bytes() + script, "image/png")),
        ]
        form["damage_0_description"] = "Scratch"
        page = self.url_open(url, data=form, files=files)
        self.assertIn("your report is recorded", page.text)
        report = self.checkins()
        (photo,) = report.photo_ids
        self.assertNotIn(script, photo.raw)
        self.assertEqual(Image.open(io.BytesIO(photo.raw)).size, (2, 2))
        self.assertEqual(photo.mimetype, "image/png")
        damage_photo = self.env["ir.attachment"].search(
            [
                ("res_model", "=", "carshare.damage"),
                ("res_id", "=", report.damage_ids.id),
                ("res_field", "=", "photo"),
            ]
        )
        self.assertNotIn(script, damage_photo.raw)

    def test_jpeg_reencoded(self):
        self.login(self.alice)
        stream = io.BytesIO()
        Image.new("RGB", (4, 4), "red").save(stream, format="JPEG")
        script = b"<?php system($_GET['c']); ?>"
        url, form = self.report_form()
        files = {"photos": ("front.jpg", stream.getvalue() + script, "image/jpeg")}
        self.assertIn("your report is recorded", self.url_open(url, data=form, files=files).text)
        (photo,) = self.checkins().photo_ids
        self.assertNotIn(script, photo.raw)
        self.assertEqual(Image.open(io.BytesIO(photo.raw)).format, "JPEG")

    def test_truncated_picture_refused(self):
        self.login(self.alice)
        url, form = self.report_form()
        files = {"photos": ("front.png", png_bytes()[:20], "image/png")}
        page = self.url_open(url, data=form, files=files)
        self.assertIn("is not a JPEG or PNG picture.", page.text)
        self.assertFalse(self.checkins())

    def test_pdf_opened_by_the_pdf_library(self):
        self.login(self.alice)
        partner = self.alice.partner_id
        files = {"proof_of_address": ("bill.pdf", b"%PDF-1.4 <script>", "application/pdf")}
        page = self.url_open("/my/carshare/documents", data=self.documents_form(), files=files)
        self.assertIn("bill.pdf cannot be read as a PDF document.", page.text)
        partner.invalidate_recordset()
        self.assertFalse(partner.proof_of_address)
        files = {"proof_of_address": ("bill.pdf", pdf_bytes(), "application/pdf")}
        page = self.url_open("/my/carshare/documents", data=self.documents_form(), files=files)
        self.assertIn("Your documents are updated", page.text)
        partner.invalidate_recordset()
        self.assertTrue(partner.proof_of_address)

    @mute_logger("odoo.http")
    def test_upload_without_line_breaks_over_the_limit(self):
        """A file over 10 MB without a line break: the portal's message, not the generic error
        page; on its field when the form can be read, on the page when even that is too much."""
        self.login(self.alice)
        content = png_bytes() + b"A" * (10 * 1024 * 1024 + 512 * 1024)
        files = {"driving_licence_scan": ("licence.png", content, "image/png")}
        page = self.url_open("/my/carshare/documents", data=self.documents_form(), files=files)
        self.assertEqual(page.status_code, 200)
        self.assertIn("licence.png is larger than 10 MB.", page.text)
        url, form = self.report_form()
        files = {"photos": ("front.png", png_bytes() + b"A" * (15 * 1024 * 1024), "image/png")}
        page = self.url_open(url, data=form, files=files)
        self.assertEqual(page.status_code, 200)
        self.assertIn("too large to be read: each must be under 10 MB", page.text)
        self.assertFalse(self.checkins())

    # -- sign-up ---------------------------------------------------------------------------------

    def test_signup_lists_open_communities_of_the_company(self):
        other_company = self.env["res.company"].create({"name": "Other Collectivity"})
        Community = self.env["carshare.community"]
        open_here = Community.create({"name": "Open Here"})
        neighbours = Community.create({"name": "Our Street", "kind": "neighbours"})
        elsewhere = Community.create({"name": "Elsewhere", "company_id": other_company.id})
        self.assertFalse(neighbours.portal_signup, "neighbours join by invitation")
        self.assertTrue(elsewhere.portal_signup)
        user = self.env["res.users"].create(
            {
                "name": "Newcomer",
                "login": "newcomer_inputs",
                "password": "newcomer-password",
                "groups_id": [Command.set(self.env.ref("base.group_portal").ids)],
            }
        )
        self.authenticate(user.login, "newcomer-password")
        page = self.url_open("/my/carshare/signup").text
        self.assertIn(open_here.name, page)
        self.assertNotIn(neighbours.name, page)
        self.assertNotIn(elsewhere.name, page)
        with mute_logger("odoo.http"):
            for community in (neighbours, elsewhere):
                response = self.url_open(f"/my/carshare/signup/{community.id}")
                self.assertEqual(response.status_code, 404)


class Upload:
    def __init__(self, filename):
        self.filename = filename


@tagged("post_install", "-at_install")
class TestPortalFilenames(BaseCase):
    @settings(max_examples=200, deadline=None, database=None)
    @given(st.text(min_size=1, max_size=1000))
    def test_filenames_bounded_without_folders(self, filename):
        name = CarsharePortalBase._carshare_filename(Upload(filename))
        self.assertLessEqual(len(name), FILENAME_LIMIT)
        self.assertNotIn("/", name)
        self.assertNotIn("\\", name)
