from odoo import fields, models

from odoo.addons.carshare_fleet.access import check_view


class CarshareStation(models.Model):
    _inherit = "carshare.station"

    iot_device_ids = fields.One2many("carshare.iot.device", "station_id", string="Key Boxes")
    iot_device_count = fields.Integer(string="Devices", compute="_compute_iot_device_count")

    def _compute_iot_device_count(self):
        counts = dict(
            self.env["carshare.iot.device"]._read_group(
                [("station_id", "in", self.ids)], ["station_id"], ["__count"]
            )
        )
        for station in self:
            station.iot_device_count = counts.get(station, 0)

    def action_view_iot_devices(self):
        check_view(self)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "carshare_iot.action_carshare_iot_device"
        )
        action["domain"] = [("station_id", "=", self.id)]
        action["context"] = {
            "default_station_id": self.id,
            "default_kind": "keybox",
            "default_identifier": self.keybox_ref,
        }
        return action
