from odoo import api, fields, models
from odoo.tools import format_amount


class CarshareNeighboursTransfer(models.Model):
    _name = "carshare.neighbours.transfer"
    _description = "Neighbours' Settlement Transfer"
    _order = "settlement_id, amount desc, id"

    settlement_id = fields.Many2one(
        "carshare.neighbours.settlement", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="settlement_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="settlement_id.currency_id")
    debtor_id = fields.Many2one("res.partner", string="Who Pays", required=True, readonly=True)
    creditor_id = fields.Many2one("res.partner", string="To Whom", required=True, readonly=True)
    amount = fields.Monetary(readonly=True)

    @api.depends("debtor_id", "creditor_id", "amount")
    def _compute_display_name(self):
        for transfer in self:
            transfer.display_name = self.env._(
                "%(debtor)s owes %(amount)s to %(creditor)s",
                debtor=transfer.debtor_id.name,
                amount=format_amount(self.env, transfer.amount, transfer.currency_id),
                creditor=transfer.creditor_id.name,
            )
