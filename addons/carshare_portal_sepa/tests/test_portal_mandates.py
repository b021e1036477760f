import json

from odoo.tests import tagged

from odoo.addons.carshare_portal_billing.tests.common import CarsharePortalBillingCase


@tagged("post_install", "-at_install")
class TestPortalMandates(CarsharePortalBillingCase):
    """The employer's SEPA mandates, for its contacts only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        bank = cls.env["res.partner.bank"].create(
            {"acc_number": "FR7630006000011234567890189", "partner_id": cls.employer.id}
        )
        cls.mandate = cls.env["account.banking.mandate"].create(
            {
                "partner_bank_id": bank.id,
                "format": "sepa",
                "type": "recurrent",
                "scheme": "B2B",
                "recurrent_sequence_type": "first",
                "signature_date": "2024-12-01",
                "unique_mandate_reference": "ACME-PORTAL-01",
                "state": "valid",
            }
        )

    def test_mandates_of_the_employer(self):
        self.login(self.accountant)
        page = self.url_open("/my/carshare/mandates").text
        self.assertIn("ACME-PORTAL-01", page)
        counters = self.url_open(
            "/my/counters",
            data=json.dumps({"params": {"counters": ["carshare_mandate_count"]}}),
            headers={"Content-Type": "application/json"},
        ).json()["result"]
        self.assertEqual(counters["carshare_mandate_count"], 1)
        self.login(self.bob)
        self.assertNotIn("ACME-PORTAL-01", self.url_open("/my/carshare/mandates").text)
