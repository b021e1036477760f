import math
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import CarshareCase

FAST = settings(max_examples=60, deadline=None, database=None)
ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [0.0, 100.0, 2_000_000.0, -0.0, 1e300, -1e-9, 100.0000001, 2_000_000.5]
)
DATES = st.dates(min_value=date(1850, 1, 1), max_value=date(2200, 12, 31))


@tagged("post_install", "-at_install")
class TestInputBounds(CarshareCase):
    """Readings and identity dates within their physical bounds, whatever is typed."""

    @FAST
    @given(odometer=ANY_FLOAT, energy=ANY_FLOAT)
    def test_reading_bounds(self, odometer, energy):
        valid = (
            math.isfinite(odometer)
            and 0 <= odometer <= 2_000_000
            and math.isfinite(energy)
            and 0 <= energy <= 100
        )
        Inspection = self.env["carshare.inspection"]
        if valid:
            Inspection._check_reading_bounds(odometer, energy)
        else:
            with self.assertRaises(ValidationError):
                Inspection._check_reading_bounds(odometer, energy)

    def test_inspection_refuses_infinite_odometer(self):
        inspections = self.env["carshare.inspection"]
        count = inspections.search_count([])
        for odometer in (math.inf, math.nan, 1e300, 2_000_001.0):
            with (
                self.subTest(odometer=odometer),
                self.assertRefused(ValidationError, "The odometer must read between 0 and"),
            ):
                inspections.create(
                    {
                        "kind": "checkin",
                        "vehicle_id": self.vehicle.id,
                        "odometer": odometer,
                        "energy_level": 50.0,
                        "date": datetime(2025, 5, 2, 12, 0),
                    }
                )
        with self.assertRefused(ValidationError, "The energy level must be between 0 and 100 %"):
            inspections.create(
                {"vehicle_id": self.vehicle.id, "odometer": 10.0, "energy_level": math.nan}
            )
        self.assertEqual(inspections.search_count([]), count)

    @FAST
    @given(born=st.none() | DATES, issued=st.none() | DATES, expires=st.none() | DATES)
    def test_document_date_bounds(self, born, issued, expires):
        today = self.today
        errors = self.env["res.partner"]._carshare_document_date_errors(born, issued, expires)
        expected = set()
        if born and not (today - relativedelta(years=120) <= born <= today):
            expected.add("carshare_birthdate")
        if issued and (issued > today or (born and issued < born)):
            expected.add("driving_licence_issue_date")
        if issued and expires and expires <= issued:
            expected.add("driving_licence_expiry_date")
        self.assertEqual(set(errors), expected)

    def test_partner_refuses_impossible_dates(self):
        cases = [
            ({"carshare_birthdate": date(1900, 1, 1)}, "age between 0 and 120 years"),
            ({"carshare_birthdate": date(2090, 1, 1)}, "age between 0 and 120 years"),
            ({"driving_licence_issue_date": date(9999, 12, 31)}, "issued by today"),
            (
                {"driving_licence_expiry_date": self.driver.driving_licence_issue_date},
                "cannot expire before it was issued",
            ),
        ]
        before = self.driver.read(list(cases[0][0]) + ["driving_licence_issue_date"])
        for values, message in cases:
            with self.subTest(values=values), self.assertRefused(ValidationError, message):
                self.driver.write(values)
        self.driver.invalidate_recordset()
        self.assertEqual(
            self.driver.read(list(cases[0][0]) + ["driving_licence_issue_date"]), before
        )


@tagged("post_install", "-at_install")
class TestDriverVerification(CarshareCase):
    """ "Drivers must be verified": on for public bodies, off for neighbours."""

    def test_default_by_kind(self):
        communities = self.env["carshare.community"].create(
            [
                {"name": "Département", "kind": "public_body"},
                {"name": "Company", "kind": "company"},
                {"name": "Neighbours", "kind": "neighbours"},
            ]
        )
        self.assertEqual(communities.mapped("driver_verification_required"), [True, False, False])

    def test_unverified_driver_may_not_book(self):
        self.assertTrue(self.community.driver_verification_required)
        self.driver.carshare_verified_on = False
        reasons = self.driver._carshare_ineligibility_reasons(self.community, self.today)
        self.assertEqual(len(reasons), 1, reasons)
        self.assertIn("must verify your documents before you can book", reasons[0])
        self.assertFalse(self.driver.carshare_eligible)
        self.driver.action_carshare_mark_verified()
        self.assertTrue(self.driver.carshare_eligible)

    def test_setting_off(self):
        self.community.driver_verification_required = False
        self.driver.carshare_verified_on = False
        self.assertTrue(self.driver.carshare_eligible)
