from odoo import fields, models


class CarshareBooking(models.Model):
    _inherit = "carshare.booking"

    def _on_booking_returned(self):
        result = super()._on_booking_returned()
        for booking in self.filtered(lambda b: b.community_id.kind == "neighbours"):
            booking._log_neighbours_trip()
        return result

    def _log_neighbours_trip(self):
        # The logbook is written by the return itself, whoever returns the car (the driver on
        # the portal, the key box): it needs no right of theirs on the logbook.
        self.env["carshare.neighbours.trip"].sudo().create(
            {
                "community_id": self.community_id.id,
                "vehicle_id": self.vehicle_id.id,
                "partner_id": self.partner_id.id,
                "booking_id": self.id,
                "date": fields.Date.context_today(self, self.date_return),
                "odometer_start": self.odometer_start,
                "odometer_end": self.odometer_end,
            }
        )
