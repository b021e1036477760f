from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CarshareReversalShare(models.Model):
    _name = "carshare.reversal.share"
    _description = "Carsharing Revenue Reversal Share"
    _order = "rule_id, sequence, id"

    rule_id = fields.Many2one(
        "carshare.reversal.rule", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="rule_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    partner_id = fields.Many2one(
        "res.partner",
        string="Beneficiary",
        required=True,
        check_company=True,
        help="e.g. the collectivity owning the vehicles, the insurer, the platform.",
    )
    percent = fields.Float(string="Share (%)", required=True)

    @api.constrains("percent")
    def _check_percent(self):
        for share in self:
            if not 0 < share.percent <= 100:
                raise ValidationError(
                    self.env._(
                        "The share of %(partner)s must be above 0 and at most 100 %%.",
                        partner=share.partner_id.name,
                    )
                )
