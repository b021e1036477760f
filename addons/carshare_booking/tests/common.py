from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, fields
from odoo.tests import TransactionCase, freeze_time, new_test_user

# Tuesday 15 January 2030, 09:00 in Paris: stations close from 0:00 to 5:00 Paris time and the
# priority hours are Monday to Friday, 8:00 to 18:00 Paris time.
NOW = datetime(2030, 1, 15, 8, 0)


@freeze_time(NOW)
class BookingCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(
            context=dict(cls.env.context, tracking_disable=True, queue_job__no_delay=True)
        )
        cls.manager = new_test_user(
            cls.env, "cs_manager", groups="carshare_fleet.group_carshare_manager"
        )
        cls.desk_user = new_test_user(
            cls.env, "cs_desk", groups="carshare_fleet.group_carshare_user"
        )
        cls.calendar = cls.env["resource.calendar"].create(
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
        cls.community = cls.env["carshare.community"].create(
            {
                "name": "AutoFree Test",
                "priority_calendar_id": cls.calendar.id,
                "user_id": cls.manager.id,
            }
        )
        cls.station = cls.create_station("Alençon", "T-ALE")
        cls.other_station = cls.create_station("Argentan", "T-ARG")
        brand = cls.env["fleet.vehicle.model.brand"].create({"name": "Renault"})
        cls.zoe = cls.env["fleet.vehicle.model"].create(
            {"name": "Zoe", "brand_id": brand.id, "default_fuel_type": "electric"}
        )
        cls.car = cls.create_vehicle("CS-001-AA", carshare_range_km=250)
        cls.car_2 = cls.create_vehicle("CS-002-AA", carshare_range_km=200)
        cls.employer = cls.env["res.partner"].create({"name": "Orne", "is_company": True})
        cls.agent = cls.create_driver("Claire Agent", "agent", employer_id=cls.employer.id)
        cls.resident = cls.create_driver("Marie Resident", "resident")

    @classmethod
    def create_station(cls, name, code):
        return cls.env["carshare.station"].create(
            {
                "name": name,
                "code": code,
                "tz": "Europe/Paris",
                "closed_from": 0.0,
                "closed_to": 5.0,
                "community_ids": [Command.link(cls.community.id)],
            }
        )

    @classmethod
    def create_vehicle(cls, plate, station=None, **vals):
        return cls.env["fleet.vehicle"].create(
            {
                "model_id": cls.zoe.id,
                "license_plate": plate,
                "carshare_shared": True,
                "carshare_station_id": (station or cls.station).id,
                "carshare_community_ids": [Command.link(cls.community.id)],
                "carshare_battery_level": 80,
                **vals,
            }
        )

    @classmethod
    def create_driver(cls, name, audience, community=None, **membership_vals):
        today = NOW.date()
        driver = cls.env["res.partner"].create(
            {
                "name": name,
                "email": f"{name.split()[0].lower()}@example.com",
                "carshare_birthdate": today - relativedelta(years=30),
                "driving_licence_number": "123456789012",
                "carshare_verified_on": "2020-01-01 00:00:00",
                "driving_licence_category": "B",
                "driving_licence_issue_date": today - relativedelta(years=10),
                "driving_licence_expiry_date": today + relativedelta(years=5),
            }
        )
        cls.env["carshare.membership"].create(
            {
                "community_id": (community or cls.community).id,
                "partner_id": driver.id,
                "audience": audience,
                "state": "active",
                **membership_vals,
            }
        )
        return driver

    @classmethod
    def at(cls, hours, minutes=0):
        """NOW shifted by hours and minutes."""
        return NOW + timedelta(hours=hours, minutes=minutes)

    @classmethod
    def make_booking(cls, start=None, end=None, **vals):
        """A draft booking of the agent on the car, by default 2 to 4 hours from now."""
        start = start or cls.at(2)
        return cls.env["carshare.booking"].create(
            {
                "community_id": cls.community.id,
                "partner_id": cls.agent.id,
                "vehicle_id": cls.car.id,
                "date_start": fields.Datetime.to_string(start),
                "date_end": fields.Datetime.to_string(end or start + timedelta(hours=2)),
                **vals,
            }
        )

    @classmethod
    def confirmed_booking(cls, start=None, end=None, **vals):
        booking = cls.make_booking(start, end, **vals)
        booking.action_confirm()
        return booking

    def assertUnchanged(self, booking, state="draft"):
        """The refused booking kept its state and got no access code."""
        booking.invalidate_recordset()
        self.assertEqual(booking.state, state)
        if state == "draft":
            self.assertFalse(booking.access_code)
