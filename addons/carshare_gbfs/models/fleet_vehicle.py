import hashlib
import hmac

from odoo import fields, models


def gbfs_vehicle_id(key, vehicle_id, rotation):
    """A vehicle's identifier in the feeds: a keyed hash of its id and its rotation."""
    return hmac.new(key, f"{vehicle_id}:{rotation}".encode(), hashlib.sha256).hexdigest()[:20]


class FleetVehicle(models.Model):
    _inherit = "fleet.vehicle"

    carshare_gbfs_rotation = fields.Integer(
        string="Open Data Rotation",
        readonly=True,
        copy=False,
        groups="carshare_fleet.group_carshare_manager",
        help="Counts the rentals: the vehicle's identifier in the open data feeds changes after "
        "each one, so that nobody can follow a vehicle from trip to trip.",
    )

    def _gbfs_rotate_id(self):
        for vehicle in self:
            vehicle.carshare_gbfs_rotation += 1

    def _gbfs_key(self):
        """The key of the identifiers' hash, derived from the database secret."""
        secret = self.env["ir.config_parameter"].sudo().get_param("database.secret", "")
        return f"carshare_gbfs:{secret}".encode()

    def _gbfs_vehicle_id(self):
        self.ensure_one()
        return gbfs_vehicle_id(self._gbfs_key(), self.id, self.sudo().carshare_gbfs_rotation)
