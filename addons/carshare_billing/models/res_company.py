from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    carshare_booking_fee_account_id = fields.Many2one(
        "account.account",
        string="Booking Fee Income Account",
        check_company=True,
        help="Income account of the platform's booking fees, kept apart from the revenue "
        "reversed to the collectivity. Empty: the product's account.",
    )

    def _carshare_account(self, code):
        accounts = self.env["account.account"].with_company(self)
        return accounts.search(
            [*accounts._check_company_domain(self), ("code", "=", code)], limit=1
        )

    carshare_employer_payment_term_id = fields.Many2one(
        "account.payment.term",
        string="Employers' Payment Terms",
        check_company=True,
        help="Payment terms of the employers' monthly invoices when the employer has none of "
        "its own. Empty: 30 days.",
    )

    def _carshare_employer_payment_term(self, partner):
        """The payment terms of an employer's invoice: the employer's own, else the company's,
        else 30 days."""
        self.ensure_one()
        partner = partner.with_company(self)
        return (
            partner.property_payment_term_id
            or self.carshare_employer_payment_term_id
            or self.env.ref("account.account_payment_term_30days", raise_if_not_found=False)
            or self.env["account.payment.term"]
        )

    def _carshare_component_taxes(self, component):
        """Hook: the taxes the law sets for a priced component (e.g. an exempt insurance),
        whatever its product says; empty where it sets none."""
        self.ensure_one()
        return self.env["account.tax"]
