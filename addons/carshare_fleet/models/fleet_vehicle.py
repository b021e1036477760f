from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..access import check_view


class FleetVehicle(models.Model):
    _inherit = "fleet.vehicle"

    carshare_shared = fields.Boolean(
        string="Shared", tracking=True, help="The vehicle is offered for carsharing."
    )
    carshare_station_id = fields.Many2one(
        "carshare.station",
        string="Station",
        index=True,
        tracking=True,
        check_company=True,
        help="Where the vehicle is picked up and returned.",
    )
    carshare_community_ids = fields.Many2many(
        "carshare.community",
        "carshare_community_vehicle_rel",
        "vehicle_id",
        "community_id",
        string="Communities",
        check_company=True,
    )
    carshare_category = fields.Selection(
        [("car", "Car"), ("utility", "Utility Vehicle"), ("camper", "Camping-Car")],
        string="Carsharing Category",
        default="car",
        required=True,
        tracking=True,
    )
    carshare_state = fields.Selection(
        [
            ("available", "Available"),
            ("in_use", "In Use"),
            ("maintenance", "Maintenance"),
            ("out_of_service", "Out of Service"),
        ],
        string="Carsharing State",
        default="available",
        required=True,
        tracking=True,
        group_expand="_read_group_expand_full",
    )
    carshare_battery_level = fields.Float(string="Battery Level (%)")
    carshare_range_km = fields.Integer(
        string="Remaining Range (km)", help="Estimated range with the current charge or fuel."
    )
    carshare_weight_kg = fields.Integer(
        string="Gross Weight (kg)", help="Gross vehicle weight rating."
    )
    carshare_keybox_slot = fields.Char(
        string="Key Box Slot", help="Slot of the station's key box holding the keys."
    )
    carshare_has_immobiliser = fields.Boolean(
        string="Immobiliser", help="Fitted with an immobiliser that blocks starting without a code."
    )
    carshare_has_telematics = fields.Boolean(string="Telematics Box")
    carshare_maintenance_ids = fields.One2many(
        "carshare.maintenance.window", "vehicle_id", string="Maintenance Windows"
    )
    carshare_inspection_count = fields.Integer(compute="_compute_carshare_inspection_count")

    def _compute_carshare_inspection_count(self):
        counts = dict(
            self.env["carshare.inspection"]._read_group(
                [("vehicle_id", "in", self.ids)], ["vehicle_id"], ["__count"]
            )
        )
        for vehicle in self:
            vehicle.carshare_inspection_count = counts.get(vehicle, 0)

    @api.constrains("carshare_battery_level", "carshare_range_km", "carshare_weight_kg")
    def _check_carshare_measures(self):
        for vehicle in self:
            if not 0 <= vehicle.carshare_battery_level <= 100:
                raise ValidationError(
                    self.env._(
                        "The battery level of %(vehicle)s must be between 0 and 100.",
                        vehicle=vehicle.display_name,
                    )
                )
            if vehicle.carshare_range_km < 0 or vehicle.carshare_weight_kg < 0:
                raise ValidationError(
                    self.env._(
                        "The range and weight of %(vehicle)s cannot be negative.",
                        vehicle=vehicle.display_name,
                    )
                )

    @api.constrains(
        "carshare_community_ids", "carshare_category", "carshare_weight_kg", "seats", "car_value"
    )
    def _check_carshare_insurance_limits(self):
        for vehicle in self:
            for community in vehicle.carshare_community_ids:
                errors = community._carshare_vehicle_limit_errors(vehicle)
                if errors:
                    raise ValidationError(
                        self.env._(
                            "%(vehicle)s cannot serve the neighbours' community %(community)s: "
                            "%(errors)s.",
                            vehicle=vehicle.display_name,
                            community=community.display_name,
                            errors="; ".join(errors),
                        )
                    )

    def _carshare_maintenance_overlaps(self, start, end):
        """Maintenance windows of these vehicles overlapping [start, end) (naive UTC)."""
        return self.env["carshare.maintenance.window"].search(
            [
                ("vehicle_id", "in", self.ids),
                ("date_start", "<", end),
                ("date_end", ">", start),
            ]
        )

    def action_view_carshare_inspections(self):
        check_view(self)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "carshare_fleet.action_carshare_inspection"
        )
        action["domain"] = [("vehicle_id", "=", self.id)]
        action["context"] = {"default_vehicle_id": self.id}
        return action
