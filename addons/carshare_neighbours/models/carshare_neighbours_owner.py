from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CarshareNeighboursOwner(models.Model):
    _name = "carshare.neighbours.owner"
    _description = "Neighbours' Car Owner"
    _order = "community_id, share desc, id"
    _check_company_auto = True

    community_id = fields.Many2one(
        "carshare.community", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="community_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(
        "res.partner", string="Owner", required=True, ondelete="restrict", check_company=True
    )
    share = fields.Float(
        string="Share (%)",
        digits=(5, 2),
        default=100.0,
        required=True,
        help="Part of the vehicle this owner holds; joint owners' shares total 100 %.",
    )

    _sql_constraints = [
        (
            "community_partner_uniq",
            "unique(community_id, partner_id)",
            "A person is listed only once among the owners of the car.",
        ),
    ]

    @api.constrains("share")
    def _check_share(self):
        for owner in self:
            if not 0 < owner.share <= 100:
                raise ValidationError(
                    self.env._(
                        "The share of %(owner)s must be more than 0 %% and at most 100 %%.",
                        owner=owner.partner_id.name,
                    )
                )
