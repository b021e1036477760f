from odoo import models


class CarshareBooking(models.Model):
    _inherit = "carshare.booking"

    def action_return(self, odometer=None, energy=None):
        """A returned vehicle gets a new public identifier, as GBFS asks after each rental."""
        result = super().action_return(odometer=odometer, energy=energy)
        self.vehicle_id.sudo()._gbfs_rotate_id()
        return result
