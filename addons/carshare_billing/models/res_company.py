from odoo import fields, models
from odoo.exceptions import UserError


class ResCompany(models.Model):
    _inherit = "res.company"

    fr_chorus_invoice_format = fields.Selection(
        selection_add=[("pdf_factur-x", "Factur-X PDF"), ("xml_cii", "CII 16B XML")],
        ondelete={"pdf_factur-x": "set null", "xml_cii": "set null"},
    )
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
        help="Expense account of Stripe's fees, booked when a payout is reconciled. Empty: the "
        "chart's bank charges account (627100 in the French chart).",
    )

    def _carshare_bank_charges_account(self):
        self.ensure_one()
        account = self.carshare_bank_charges_account_id
        if not account:
            accounts = self.env["account.account"].with_company(self)
            account = accounts.search(
                [*accounts._check_company_domain(self), ("code", "=", "627100")], limit=1
            )
        if not account:
            raise UserError(
                self.env._(
                    "Set the account of Stripe's fees in the settings of %(company)s.",
                    company=self.name,
                )
            )
        return account
