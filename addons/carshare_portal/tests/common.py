import base64
import io
import re
import struct
import zlib
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user
from odoo.tools.pdf import PdfFileWriter

from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT

PASSWORD = "portal-password"


def png_bytes(width=2, height=2):
    """A tiny valid PNG picture."""
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def pdf_bytes():
    """A one-page PDF document."""
    writer = PdfFileWriter()
    writer.add_blank_page(width=595, height=842)
    stream = io.BytesIO()
    writer.write(stream)
    return stream.getvalue()


class CarsharePortalCase(HttpCase):
    """A community, a station that never closes, three cars and portal users: Alice (an
    employee of Acme, with bookings), Bob (another driver) and Acme's accountant."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, **DISABLED_MAIL_CONTEXT))
        cls.manager = new_test_user(
            cls.env, "cs_portal_manager", groups="carshare_fleet.group_carshare_manager"
        )
        cls.community = cls.env["carshare.community"].create(
            {
                "name": "Portal Test Community",
                "user_id": cls.manager.id,
                "charter": "<p>Bring the vehicle back charged.</p>",
            }
        )
        address = cls.env["res.partner"].create(
            {"name": "Gare", "street": "1 place de la Gare", "zip": "61000", "city": "Alençon"}
        )
        cls.station = cls.env["carshare.station"].create(
            {
                "name": "Alençon Gare",
                "code": "PT-GARE",
                "tz": "Europe/Paris",
                "closed_from": 0.0,
                "closed_to": 0.0,
                "latitude": 48.4329,
                "longitude": 0.0925,
                "partner_id": address.id,
                "community_ids": [Command.link(cls.community.id)],
            }
        )
        brand = cls.env["fleet.vehicle.model.brand"].create({"name": "Renault"})
        model = cls.env["fleet.vehicle.model"].create({"name": "Zoe", "brand_id": brand.id})
        cls.car, cls.car_booked, cls.car_driven = cls.env["fleet.vehicle"].create(
            [
                {
                    "model_id": model.id,
                    "license_plate": plate,
                    "carshare_shared": True,
                    "carshare_station_id": cls.station.id,
                    "carshare_community_ids": [Command.link(cls.community.id)],
                    "carshare_range_km": 250,
                    "odometer": 1000,
                }
                for plate in ("PT-001-AA", "PT-002-AA", "PT-003-AA")
            ]
        )
        cls._setup_community()
        cls.employer = cls.env["res.partner"].create({"name": "Acme", "is_company": True})
        cls.alice = cls._portal_driver("alice", "Alice Martin", employer=cls.employer)
        cls.bob = cls._portal_driver("bob", "Bob Durand")
        cls.accountant = new_test_user(
            cls.env, "acme_accountant", groups="base.group_portal", password=PASSWORD
        )
        cls.accountant.partner_id.parent_id = cls.employer
        now = fields.Datetime.now().replace(second=0, microsecond=0)
        cls.booking_soon = cls._confirmed(cls.car, now + timedelta(minutes=10), usage="pro")
        cls.booking_later = cls._confirmed(cls.car_booked, now + timedelta(days=2))
        cls.booking_driving = cls._confirmed(cls.car_driven, now + timedelta(minutes=8))
        cls.booking_driving.action_start()

    @classmethod
    def _setup_community(cls):
        """What the bridges' cases add to the community before the bookings: its tariff."""

    @classmethod
    def _portal_driver(cls, login, name, employer=None):
        user = new_test_user(
            cls.env, login, groups="base.group_portal", name=name, password=PASSWORD
        )
        today = fields.Date.today()
        user.partner_id.write(
            {
                "carshare_birthdate": today - relativedelta(years=30),
                "driving_licence_number": f"LIC-{login}",
                "carshare_verified_on": "2020-01-01 00:00:00",
                "driving_licence_category": "B",
                "driving_licence_issue_date": today - relativedelta(years=10),
                "driving_licence_expiry_date": today + relativedelta(years=5),
            }
        )
        cls.env["carshare.membership"].create(
            {
                "community_id": cls.community.id,
                "partner_id": user.partner_id.id,
                "audience": "employee" if employer else "resident",
                "employer_id": employer and employer.id,
                "state": "active",
            }
        )
        return user

    @classmethod
    def _confirmed(cls, vehicle, start, driver=None, usage="perso"):
        booking = cls.env["carshare.booking"].create(
            {
                "community_id": cls.community.id,
                "partner_id": (driver or cls.alice).partner_id.id,
                "vehicle_id": vehicle.id,
                "date_start": start,
                "date_end": start + timedelta(hours=3),
                "usage": usage,
            }
        )
        booking.action_confirm()
        return booking

    def login(self, user):
        self.authenticate(user.login, PASSWORD)

    def book_the_free_car_in_tour(self, tour):
        """Run ``tour`` from a search of the next two hours (the soon booking cancelled, so
        that the car is free); return Alice's confirmed booking of the car."""
        start = fields.Datetime.now().replace(second=0, microsecond=0) + timedelta(minutes=10)
        self.booking_soon.action_cancel()
        url = (
            f"/my/carshare/vehicles?community_id={self.community.id}"
            f"&date_start={self.local_input(start)}"
            f"&date_end={self.local_input(start + timedelta(hours=2))}"
        )
        self.start_tour(url, tour, login="alice")
        return self.env["carshare.booking"].search(
            [
                ("partner_id", "=", self.alice.partner_id.id),
                ("state", "=", "confirmed"),
                ("vehicle_id", "=", self.car.id),
            ]
        )

    def local_input(self, value):
        """A naive UTC datetime as a datetime-local value in the station's timezone."""
        return fields.Datetime.context_timestamp(
            self.env["res.partner"].with_context(tz=self.station.tz), value
        ).strftime("%Y-%m-%dT%H:%M")

    def csrf_token(self, url):
        """The CSRF token of the page at ``url``, for the logged-in session."""
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, url)
        return re.search(r'csrf_token: "([^"]+)"', response.text).group(1)

    @staticmethod
    def b64(content):
        return base64.b64encode(content)
