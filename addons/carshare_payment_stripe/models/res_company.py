from odoo import fields, models
from odoo.exceptions import UserError

# "Autres frais et commissions sur prestations de services" on the French chart (PCG 2025).
FR_BANK_CHARGES_ACCOUNT = "627800"


class ResCompany(models.Model):
    _inherit = "res.company"

    carshare_bank_charges_account_id = fields.Many2one(
        "account.account",
        string="Stripe Fees Account",
        check_company=True,
        help="Expense account of Stripe's fees, booked when a payout is reconciled (627800 "
        '"Autres frais et commissions sur prestations de services" on the French chart).',
    )

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
