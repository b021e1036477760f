from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

FR_BANK_CHARGES_ACCOUNT = "627800"


class ResCompany(models.Model):
    _inherit = "res.company"

    carshare_booking_fee_account_id = fields.Many2one(
        "account.account",
        string="Booking Fee Income Account",
        check_company=True,
        help="Income account of the platform's booking fees, kept apart from the revenue "
        "reversed to the collectivity. Empty: the product's account.",
    )
    carshare_bank_charges_account_id = fields.Many2one(
        "account.account",
        string="Stripe Fees Account",
        check_company=True,
        help="Expense account of Stripe's fees, booked when a payout is reconciled (627800 "
        '"Autres frais et commissions sur prestations de services" on the French chart).',
    )

    def _carshare_account(self, code):
        accounts = self.env["account.account"].with_company(self)
        return accounts.search(
            [*accounts._check_company_domain(self), ("code", "=", code)], limit=1
        )

    carshare_card_provider_id = fields.Many2one(
        "payment.provider",
        string="Card Payments Provider",
        check_company=True,
        domain="[('code', 'in', ('stripe', 'demo'))]",
        help="Provider of the drivers' card charges, deposits and refunds. Empty: the "
        "company's Stripe provider.",
    )
    carshare_employer_payment_term_id = fields.Many2one(
        "account.payment.term",
        string="Employers' Payment Terms",
        check_company=True,
        help="Payment terms of the employers' monthly invoices when the employer has none of "
        "its own. Empty: 30 days.",
    )
    carshare_sepa_notice_days = fields.Integer(
        string="SEPA Pre-Notification (days)",
        default=14,
        help="A direct debit is collected at the earliest this many calendar days after its "
        "payment order is confirmed: the SEPA rulebook's pre-notification period (14 days "
        "unless the mandate's terms agree a shorter one).",
    )

    _sql_constraints = [
        (
            "carshare_sepa_notice_days_positive",
            "CHECK(carshare_sepa_notice_days >= 0)",
            "The SEPA pre-notification period cannot be negative.",
        ),
    ]

    @api.constrains("carshare_card_provider_id")
    def _check_carshare_card_provider(self):
        codes = self.env["payment.provider"]._carshare_card_codes()
        for company in self:
            provider = company.carshare_card_provider_id
            if provider and provider.code not in codes:
                raise ValidationError(
                    self.env._(
                        "%(provider)s cannot charge the drivers' cards yet: the billing has no "
                        "adapter for it.",
                        provider=provider.name,
                    )
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

    def _carshare_first_collection_date(self, day):
        """The earliest direct-debit collection date of a payment order confirmed on ``day``."""
        self.ensure_one()
        return day + timedelta(days=self.carshare_sepa_notice_days)

    def _carshare_bank_charges_account(self):
        self.ensure_one()
        account = self.carshare_bank_charges_account_id or self._carshare_account(
            FR_BANK_CHARGES_ACCOUNT
        )
        if not account:
            raise UserError(
                self.env._(
                    "Set the account of Stripe's fees in the settings of %(company)s.",
                    company=self.name,
                )
            )
        return account

    def _carshare_component_taxes(self, component):
        """Hook: the taxes the law sets for a priced component (e.g. an exempt insurance),
        whatever its product says; empty where it sets none."""
        self.ensure_one()
        return self.env["account.tax"]
