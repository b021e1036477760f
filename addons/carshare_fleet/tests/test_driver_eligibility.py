from dateutil.relativedelta import relativedelta

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import format_date

from .common import CarshareCase


@tagged("post_install", "-at_install")
class TestDriverEligibility(CarshareCase):
    def reasons(self, driver=None, community=None, date_ref=None):
        driver = driver or self.driver
        community = self.community if community is None else community
        return driver._carshare_ineligibility_reasons(community, date_ref or self.today)

    def assertSingleReason(self, reasons, text):
        self.assertEqual(len(reasons), 1, reasons)
        self.assertIn(text, reasons[0])

    def test_eligible_driver(self):
        self.assertEqual(self.reasons(), [])
        self.assertTrue(self.driver.carshare_eligible)
        self.assertFalse(self.driver.carshare_ineligibility_reason)

    def test_under_min_age(self):
        self.driver.carshare_birthdate = self.today - relativedelta(years=17)
        self.assertSingleReason(self.reasons(), "at least 18 years old")
        self.assertFalse(self.driver.carshare_eligible)
        self.assertIn("18 years", self.driver.carshare_ineligibility_reason)
        # The age is measured at the end of the booking.
        self.assertEqual(self.reasons(date_ref=self.today + relativedelta(years=1, days=1)), [])

    def test_min_age_comes_from_the_community(self):
        self.driver.carshare_birthdate = self.today - relativedelta(years=20)
        self.assertEqual(self.reasons(), [])
        self.community.driver_min_age = 21
        self.assertSingleReason(self.reasons(), "at least 21 years old")

    def test_missing_birthdate(self):
        self.driver.carshare_birthdate = False
        self.assertSingleReason(self.reasons(), "date of birth is missing")

    def test_no_licence(self):
        self.driver.driving_licence_number = False
        self.assertSingleReason(self.reasons(), "No driving licence")

    def test_licence_without_category_b(self):
        self.driver.driving_licence_category = "A"
        self.assertSingleReason(self.reasons(), "does not include category B")
        self.driver.driving_licence_category = "C"
        self.assertEqual(self.reasons(), [])

    def test_licence_not_issued_yet(self):
        """A licence is issued by today (a later date is refused); a booking that ended before
        the issue date was not covered."""
        with self.assertRefused(ValidationError, "issued by today"):
            self.driver.driving_licence_issue_date = self.today + relativedelta(days=10)
        self.driver.driving_licence_issue_date = self.today
        before = self.today - relativedelta(days=1)
        self.assertSingleReason(
            self.reasons(date_ref=before), "only valid from %s" % format_date(self.env, self.today)
        )
        self.assertEqual(self.reasons(), [])

    def test_licence_expired(self):
        expired = self.today - relativedelta(days=1)
        self.driver.driving_licence_expiry_date = expired
        self.assertSingleReason(self.reasons(), "expired on %s" % format_date(self.env, expired))

    def test_licence_expires_before_the_end_of_the_booking(self):
        expires = self.today + relativedelta(days=3)
        self.driver.driving_licence_expiry_date = expires
        self.assertEqual(self.reasons(), [])
        self.assertSingleReason(
            self.reasons(date_ref=self.today + relativedelta(days=4)),
            "expires on %s, before the end of the booking" % format_date(self.env, expires),
        )

    def test_licence_expiring_before_issue_refused(self):
        with self.assertRefused(ValidationError, "cannot expire before it was issued"):
            self.driver.driving_licence_expiry_date = self.today - relativedelta(years=11)
        self.driver.invalidate_recordset()
        self.assertEqual(
            self.driver.driving_licence_expiry_date, self.today + relativedelta(years=5)
        )
        with self.assertRaises(ValidationError):
            self.env["res.partner"].create(
                {
                    "name": "Time Traveller",
                    "driving_licence_issue_date": self.today,
                    "driving_licence_expiry_date": self.today - relativedelta(days=1),
                }
            )
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Time Traveller")]))

    def add_claims(self, months_ago, responsible=True):
        self.env["carshare.claim"].create(
            [
                {
                    "partner_id": self.driver.id,
                    "date": self.today - relativedelta(months=months, days=1),
                    "responsible": responsible,
                }
                for months in months_ago
            ]
        )

    def test_too_many_responsible_claims(self):
        self.add_claims([1, 5])
        self.assertEqual(self.reasons(), [], "two responsible claims are accepted")
        self.add_claims([8])
        self.assertSingleReason(self.reasons(), "3 responsible claims in the last 12 months")

    def test_old_or_not_responsible_claims_not_counted(self):
        self.add_claims([1, 5])
        self.add_claims([13, 20])
        self.add_claims([2, 3], responsible=False)
        self.assertEqual(self.reasons(), [])
        self.community.claims_window_months = 24
        self.assertSingleReason(self.reasons(), "4 responsible claims in the last 24 months")
        self.community.max_responsible_claims = 4
        self.assertEqual(self.reasons(), [])

    def test_motor_trade_professional(self):
        self.driver.carshare_motor_trade = True
        self.assertSingleReason(self.reasons(), "motor-trade professionals")

    def test_not_a_member(self):
        other = self.env["carshare.community"].create({"name": "Other Community"})
        self.assertSingleReason(self.reasons(community=other), "not a member of Other Community")

    def test_membership_suspended(self):
        self.driver.carshare_membership_ids._suspend("Unpaid invoice")
        self.assertSingleReason(self.reasons(), "suspended: Unpaid invoice")
        self.assertFalse(self.driver.carshare_eligible)

    def test_membership_requested(self):
        self.driver.carshare_membership_ids.state = "requested"
        self.assertSingleReason(self.reasons(), "not active yet")

    def test_without_community_memberships_are_not_checked(self):
        person = self.env["res.partner"].create(
            {
                "name": "No Membership",
                "carshare_birthdate": self.today - relativedelta(years=17),
                "driving_licence_number": "X1",
                "driving_licence_category": "B",
                "driving_licence_issue_date": self.today,
            }
        )
        reasons = self.reasons(driver=person, community=False)
        self.assertSingleReason(reasons, "at least 18 years old")
        self.assertFalse(person.carshare_eligible)
        self.assertEqual(person.carshare_ineligibility_reason, reasons[0])

    def test_several_reasons(self):
        self.driver.write({"carshare_motor_trade": True, "driving_licence_category": "AM"})
        self.assertEqual(len(self.reasons()), 2)
        self.assertEqual(len(self.driver.carshare_ineligibility_reason.splitlines()), 2)

    def test_mark_documents_verified(self):
        self.driver.action_carshare_mark_verified()
        self.assertEqual(self.driver.carshare_verified_by_id, self.env.user)
        self.assertTrue(self.driver.carshare_verified_on)

    def test_reasons_are_translated(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(
            ["carshare_fleet"], ["fr_FR"], overwrite=True
        )
        self.driver.carshare_motor_trade = True
        reasons = self.driver.with_context(lang="fr_FR")._carshare_ineligibility_reasons(
            self.community, self.today
        )
        self.assertSingleReason(reasons, "professionnels de l'automobile")
