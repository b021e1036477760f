from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..access import MANAGER_GROUP, check_groups


class CarshareDamage(models.Model):
    _name = "carshare.damage"
    _description = "Vehicle Damage"
    _order = "inspection_id, id"
    _check_company_auto = True

    inspection_id = fields.Many2one(
        "carshare.inspection", required=True, index=True, ondelete="cascade"
    )
    vehicle_id = fields.Many2one(related="inspection_id.vehicle_id", store=True, index=True)
    partner_id = fields.Many2one(related="inspection_id.partner_id", string="Driver", store=True)
    company_id = fields.Many2one(related="inspection_id.company_id", store=True, index=True)
    description = fields.Char(required=True)
    location = fields.Selection(
        [
            ("front", "Front"),
            ("rear", "Rear"),
            ("left", "Left Side"),
            ("right", "Right Side"),
            ("roof", "Roof"),
            ("windows", "Windscreen and Windows"),
            ("wheels", "Wheels and Tyres"),
            ("interior", "Interior"),
            ("other", "Other"),
        ],
    )
    severity = fields.Selection(
        [("minor", "Minor"), ("moderate", "Moderate"), ("major", "Major")],
        required=True,
        default="minor",
    )
    photo = fields.Image(max_width=1920, max_height=1920)
    responsible = fields.Boolean(help="The driver of the inspection caused this damage.")
    claim_id = fields.Many2one("carshare.claim", readonly=True, copy=False, check_company=True)

    @api.model_create_multi
    def create(self, vals_list):
        inspections = self.env["carshare.inspection"].browse(
            [vals["inspection_id"] for vals in vals_list if vals.get("inspection_id")]
        )
        self._check_validated_unchanged(inspections)
        return super().create(vals_list)

    def write(self, vals):
        if "inspection_id" in vals:
            self._check_validated_unchanged(
                self.inspection_id | self.inspection_id.browse(vals["inspection_id"])
            )
        return super().write(vals)

    def unlink(self):
        self._check_validated_unchanged(self.inspection_id)
        return super().unlink()

    def _check_validated_unchanged(self, inspections):
        """The damages of a validated report decide the driver's excess and claims: only a
        fleet manager adds, moves or deletes them (``responsible`` is the billing's check)."""
        if self.env.su or self.env.user.has_group(MANAGER_GROUP):
            return
        if any(inspection.state == "done" for inspection in inspections.sudo()):
            raise AccessError(
                self.env._(
                    "Only a fleet manager may add, move or delete the damages of a validated "
                    "inspection report."
                )
            )

    def action_open_claim(self):
        """Managers: open the claim against the inspection's driver, creating it the first
        time."""
        check_groups(self.env, MANAGER_GROUP)
        self.ensure_one()
        if not self.claim_id:
            if not self.partner_id:
                raise UserError(
                    self.env._(
                        "Set the driver of %(inspection)s before opening a claim.",
                        inspection=self.inspection_id.name,
                    )
                )
            self.claim_id = self.env["carshare.claim"].create(self._prepare_claim_values())
        return {
            "type": "ir.actions.act_window",
            "res_model": "carshare.claim",
            "res_id": self.claim_id.id,
            "view_mode": "form",
            "target": "current",
        }

    def _prepare_claim_values(self):
        return {
            "partner_id": self.partner_id.id,
            "date": fields.Date.context_today(self, self.inspection_id.date),
            "responsible": self.responsible,
            "description": self.description,
            "vehicle_id": self.vehicle_id.id,
            "damage_id": self.id,
            "company_id": self.company_id.id,
        }
