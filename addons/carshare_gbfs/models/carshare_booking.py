from odoo import models


class CarshareBooking(models.Model):
    _inherit = "carshare.booking"

    def _on_booking_returned(self):
        """A returned vehicle gets a new public identifier, as GBFS asks after each rental."""
        result = super()._on_booking_returned()
        self.vehicle_id.sudo()._gbfs_rotate_id()
        return result
