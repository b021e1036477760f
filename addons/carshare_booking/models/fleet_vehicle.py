from odoo import fields, models

from odoo.addons.carshare_fleet.access import check_view


class FleetVehicle(models.Model):
    _inherit = "fleet.vehicle"

    carshare_booking_count = fields.Integer(
        string="Carsharing Bookings", compute="_compute_carshare_booking_count"
    )

    def _compute_carshare_booking_count(self):
        counts = dict(
            self.env["carshare.booking"]._read_group(
                [("vehicle_id", "in", self.ids)], ["vehicle_id"], ["__count"]
            )
        )
        for vehicle in self:
            vehicle.carshare_booking_count = counts.get(vehicle, 0)

    def action_view_carshare_bookings(self):
        check_view(self)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "carshare_booking.action_carshare_booking"
        )
        action["domain"] = [("vehicle_id", "=", self.id)]
        action["context"] = {"default_vehicle_id": self.id}
        return action
