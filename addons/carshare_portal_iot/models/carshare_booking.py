from odoo import models


class CarshareBooking(models.Model):
    _inherit = "carshare.booking"

    def _carshare_portal_can_unlock(self):
        """A vehicle fitted with a connected box opens from the portal."""
        self.ensure_one()
        return self._carshare_portal_code_visible() and bool(self.sudo()._iot_unlock_devices())
