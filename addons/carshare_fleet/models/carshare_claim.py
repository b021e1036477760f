from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..access import MANAGER_GROUP


class CarshareClaim(models.Model):
    _name = "carshare.claim"
    _description = "Insurance Claim"
    _order = "date desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Driver",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    responsible = fields.Boolean(
        help="The driver is held responsible: responsible claims may exclude a driver.",
    )
    description = fields.Text()
    vehicle_id = fields.Many2one("fleet.vehicle", check_company=True)
    damage_id = fields.Many2one("carshare.damage", check_company=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )

    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get("responsible") for vals in vals_list):
            self._check_responsibility_right()
        return super().create(vals_list)

    def write(self, vals):
        if "responsible" in vals or (
            {"date", "partner_id"}.intersection(vals) and any(self.mapped("responsible"))
        ):
            self._check_responsibility_right()
        return super().write(vals)

    def _check_responsibility_right(self):
        """Responsible claims may exclude a driver: only a fleet manager decides them."""
        if self.env.su or self.env.user.has_group(MANAGER_GROUP):
            return
        raise AccessError(
            self.env._(
                "Only a fleet manager may hold a driver responsible for a claim, or clear it."
            )
        )

    @api.depends("partner_id", "date")
    def _compute_display_name(self):
        for claim in self:
            claim.display_name = f"{claim.partner_id.name or ''} - {claim.date or ''}"
