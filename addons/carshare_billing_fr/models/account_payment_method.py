from odoo import fields, models


class AccountPaymentMethod(models.Model):
    _inherit = "account.payment.method"

    # l10n_fr_chorus_account reads this field (from OCA's account_payment_unece, not installed
    # here) to check the payment means of invoices sent to Chorus Pro.
    unece_code = fields.Char(
        string="UNECE Code",
        help="UN/CEFACT 4461 payment means code, e.g. 30 credit transfer, 59 SEPA direct debit.",
    )
