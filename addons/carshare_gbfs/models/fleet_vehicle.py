import hashlib

from odoo import fields, models


def gbfs_vehicle_id(key, vehicle_id, rotation):
    """A vehicle's identifier in the feeds: a keyed hash (BLAKE2b as a MAC) of its id and its
    rotation, that nobody without the key can link to the vehicle or to its previous id."""
    message = b"%d:%d" % (vehicle_id, rotation)
    return hashlib.blake2b(message, key=key, digest_size=10).hexdigest()


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
        return hashlib.sha256(f"carshare_gbfs:{secret}".encode()).digest()

    def _gbfs_vehicle_id(self):
        self.ensure_one()
        return gbfs_vehicle_id(self._gbfs_key(), self.id, self.sudo().carshare_gbfs_rotation)
