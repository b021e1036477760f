import math

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools.misc import formatLang

from ..access import MANAGER_GROUP, action_write, check_action_fields, check_groups

# Physical bounds of a reading, whatever the community.
MAX_ODOMETER = 2_000_000
MAX_ENERGY = 100

# Written by the actions only (validate, reopen).
ACTION_FIELDS = ["state"]
# What a validated report decides: its readings went to the vehicle, its damages to billing.
VALIDATED_FIELDS = {
    "kind",
    "vehicle_id",
    "partner_id",
    "booking_id",
    "date",
    "odometer",
    "energy_level",
    "damage_ids",
    "company_id",
}


class CarshareInspection(models.Model):
    _name = "carshare.inspection"
    _description = "Vehicle Inspection"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default=lambda self: "/"
    )
    kind = fields.Selection(
        [("checkout", "Check-out"), ("checkin", "Check-in")],
        required=True,
        default="checkout",
        tracking=True,
        help="Check-out: state of the vehicle when the driver takes it. "
        "Check-in: state when it is returned.",
    )
    state = fields.Selection(
        [("draft", "Draft"), ("done", "Done")],
        required=True,
        default="draft",
        tracking=True,
        copy=False,
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    vehicle_id = fields.Many2one(
        "fleet.vehicle", required=True, index=True, tracking=True, check_company=True
    )
    partner_id = fields.Many2one(
        "res.partner", string="Driver", index=True, tracking=True, check_company=True
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now, tracking=True)
    odometer = fields.Float(tracking=True)
    odometer_unit = fields.Selection(related="vehicle_id.odometer_unit")
    energy_level = fields.Float(
        string="Energy Level (%)", help="Battery charge or fuel level, in percent."
    )
    cleanliness = fields.Selection(
        [
            ("clean", "Clean"),
            ("acceptable", "Acceptable"),
            ("dirty", "Dirty"),
            ("very_dirty", "Very Dirty"),
        ],
    )
    remarks = fields.Text()
    photo_ids = fields.Many2many(
        "ir.attachment",
        "carshare_inspection_photo_rel",
        "inspection_id",
        "attachment_id",
        string="Photos",
    )
    damage_ids = fields.One2many("carshare.damage", "inspection_id", string="Damages")
    damage_count = fields.Integer(compute="_compute_damage_count")

    @api.depends("damage_ids")
    def _compute_damage_count(self):
        for inspection in self:
            inspection.damage_count = len(inspection.damage_ids)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_action_fields(self, vals, ACTION_FIELDS, create=True)
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("carshare.inspection") or "/"
        return super().create(vals_list)

    def write(self, vals):
        check_action_fields(self, vals, ACTION_FIELDS)
        self._check_validated_unchanged(vals)
        return super().write(vals)

    def _check_validated_unchanged(self, vals):
        """What a validated report decides is changed by a fleet manager only, who reopens it
        first; remarks and photos may still be added."""
        if self.env.su or self.env.user.has_group(MANAGER_GROUP):
            return
        if VALIDATED_FIELDS.isdisjoint(vals):
            return
        if any(inspection.state == "done" for inspection in self):
            raise AccessError(
                self.env._(
                    "Only a fleet manager may change the readings or the damages of a validated "
                    "inspection report."
                )
            )

    @api.constrains("odometer", "energy_level")
    def _check_readings(self):
        for inspection in self:
            inspection._check_reading_bounds(inspection.odometer, inspection.energy_level)

    @api.model
    def _check_reading_bounds(self, odometer, energy=None):
        """Refuse an odometer outside 0 to 2,000,000 or an energy level (when given) outside 0
        to 100 %, infinities and NaN included; bookings, logbooks and devices check their
        readings with it."""
        if not (math.isfinite(odometer) and 0 <= odometer <= MAX_ODOMETER):
            raise ValidationError(
                self.env._(
                    "The odometer must read between 0 and %(max)s, not %(value)s.",
                    max=formatLang(self.env, MAX_ODOMETER, digits=0),
                    value=odometer,
                )
            )
        if energy is not None and not (math.isfinite(energy) and 0 <= energy <= MAX_ENERGY):
            raise ValidationError(
                self.env._(
                    "The energy level must be between 0 and 100 %%, not %(value)s.",
                    value=energy,
                )
            )

    def action_done(self):
        """Managers: validate the reports (a returned booking's check-in is validated by
        ``_action_validate`` itself)."""
        check_groups(self.env, MANAGER_GROUP)
        self._action_validate()
        return True

    def _action_validate(self):
        """Close the draft reports and record their odometer; the hook other addons extend."""
        for inspection in self.filtered(lambda i: i.state == "draft"):
            inspection._check_odometer_forward()
            self.env["fleet.vehicle.odometer"].create(inspection._prepare_odometer_values())
            action_write(inspection, {"state": "done"})

    def action_draft(self):
        """Managers: reopen validated reports, e.g. to correct a damage."""
        check_groups(self.env, MANAGER_GROUP)
        action_write(self, {"state": "draft"})
        return True

    def _check_odometer_forward(self):
        last = self.vehicle_id.odometer
        if self.odometer < last:
            raise ValidationError(
                self.env._(
                    "The odometer is going backwards: %(inspection)s reads %(odometer)s but "
                    "%(vehicle)s last read %(last)s.",
                    inspection=self.name,
                    odometer=self.odometer,
                    vehicle=self.vehicle_id.display_name,
                    last=last,
                )
            )

    def _prepare_odometer_values(self):
        return {
            "vehicle_id": self.vehicle_id.id,
            "value": self.odometer,
            "date": fields.Date.context_today(self, self.date),
        }
