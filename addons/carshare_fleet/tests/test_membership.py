from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import CarshareCase


@tagged("post_install", "-at_install")
class TestMembership(CarshareCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.membership = cls.driver.carshare_membership_ids
        cls.employer = cls.env["res.partner"].create({"name": "Employer", "is_company": True})

    def test_one_membership_per_community(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.env["carshare.membership"].create(
                {"community_id": self.community.id, "partner_id": self.driver.id}
            )
            self.env.flush_all()
        self.assertEqual(len(self.driver.carshare_membership_ids), 1)

    def test_employee_requires_employer(self):
        Membership = self.env["carshare.membership"]
        person = self.env["res.partner"].create({"name": "Employee Without Employer"})
        with self.assertRefused(ValidationError, "employer"):
            Membership.create(
                {"community_id": self.community.id, "partner_id": person.id, "audience": "employee"}
            )
        self.assertFalse(Membership.search([("partner_id", "=", person.id)]))
        membership = Membership.create(
            {
                "community_id": self.community.id,
                "partner_id": person.id,
                "audience": "employee",
                "employer_id": self.employer.id,
            }
        )
        self.assertEqual(membership.employer_id, self.employer)

    def test_employer_must_be_a_company(self):
        with self.assertRefused(ValidationError, "must be a company"):
            self.membership.write({"audience": "employee", "employer_id": self.driver.id})
        self.membership.invalidate_recordset()
        self.assertEqual(self.membership.audience, "resident")
        self.assertFalse(self.membership.employer_id)

    def test_activate(self):
        person = self.env["res.partner"].create({"name": "Applicant"})
        membership = self.env["carshare.membership"].create(
            {"community_id": self.community.id, "partner_id": person.id}
        )
        self.assertEqual(membership.state, "requested")
        membership.action_activate()
        self.assertEqual(membership.state, "active")

    def test_suspend_with_reason_through_wizard(self):
        action = self.membership.action_suspend()
        self.assertEqual(action["res_model"], "carshare.membership.suspend.wizard")
        with Form(self.env[action["res_model"]].with_context(**action["context"])) as wizard_form:
            wizard_form.reason = "Unpaid invoice"
        wizard_form.record.action_confirm()
        self.assertEqual(self.membership.state, "suspended")
        self.assertEqual(self.membership.suspension_reason, "Unpaid invoice")
        self.membership.action_activate()
        self.assertEqual(self.membership.state, "active")
        self.assertFalse(self.membership.suspension_reason)

    def test_suspend_without_reason_refused(self):
        wizard = self.env["carshare.membership.suspend.wizard"].create(
            {"membership_ids": [(6, 0, self.membership.ids)], "reason": "   "}
        )
        with self.assertRefused(ValidationError, "requires a reason"):
            wizard.action_confirm()
        with self.assertRaises(ValidationError):
            self.membership.state = "suspended"
        self.membership.invalidate_recordset()
        self.assertEqual(self.membership.state, "active")
        self.assertFalse(self.membership.suspension_reason)
