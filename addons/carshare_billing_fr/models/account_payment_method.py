from odoo import api, fields, models

# UN/CEFACT 4461 payment means of Odoo's methods, by their code: whichever of them is
# installed, before or after this addon (SEPA direct debit comes with carshare_billing_sepa).
UNECE_CODES = {"manual": "30", "sepa_direct_debit": "59"}


class AccountPaymentMethod(models.Model):
    _inherit = "account.payment.method"

    # l10n_fr_chorus_account reads this field (from OCA's account_payment_unece, not installed
    # here) to check the payment means of invoices sent to Chorus Pro.
    unece_code = fields.Char(
        string="UNECE Code",
        compute="_compute_unece_code",
        store=True,
        readonly=False,
        help="UN/CEFACT 4461 payment means code, e.g. 30 credit transfer, 59 SEPA direct debit.",
    )

    @api.depends("code")
    def _compute_unece_code(self):
        for method in self:
            method.unece_code = method.unece_code or UNECE_CODES.get(method.code)
