from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    carshare_reversal_statement_id = fields.Many2one(
        "carshare.reversal.statement",
        string="Reversed By",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The confirmed revenue reversal statement that reversed this revenue.",
    )
