from odoo import fields, models


class CarshareReversalRule(models.Model):
    _inherit = "carshare.reversal.rule"

    deduct_stripe_fees = fields.Boolean(
        string="Deduct Stripe's Fees",
        default=True,
        tracking=True,
        help="Stripe's fees of the period's reconciled payouts are deducted from the revenue.",
    )
