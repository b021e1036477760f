from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CarshareMaintenanceWindow(models.Model):
    _name = "carshare.maintenance.window"
    _description = "Vehicle Maintenance Window"
    _order = "date_start desc, id desc"

    vehicle_id = fields.Many2one("fleet.vehicle", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="vehicle_id.company_id", store=True, index=True)
    date_start = fields.Datetime(string="Start", required=True)
    date_end = fields.Datetime(string="End", required=True)
    reason = fields.Char(required=True)

    @api.depends("vehicle_id", "reason")
    def _compute_display_name(self):
        for window in self:
            window.display_name = f"{window.vehicle_id.display_name or ''}: {window.reason or ''}"

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for window in self:
            if window.date_end <= window.date_start:
                raise ValidationError(
                    self.env._(
                        "The maintenance of %(vehicle)s must end after it starts.",
                        vehicle=window.vehicle_id.display_name,
                    )
                )
