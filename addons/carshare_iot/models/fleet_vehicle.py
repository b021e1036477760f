from datetime import timedelta

from odoo import fields, models

from odoo.addons.carshare_fleet.access import check_view

# A return position may come shortly after the key is back in the box.
RETURN_POSITION_DELAY = timedelta(hours=1)


class FleetVehicle(models.Model):
    _inherit = "fleet.vehicle"

    carshare_iot_device_ids = fields.One2many("carshare.iot.device", "vehicle_id", string="Devices")
    carshare_iot_device_count = fields.Integer(
        string="Device Count", compute="_compute_carshare_iot_device_count"
    )

    def _compute_carshare_iot_device_count(self):
        counts = dict(
            self.env["carshare.iot.device"]._read_group(
                [("vehicle_id", "in", self.ids)], ["vehicle_id"], ["__count"]
            )
        )
        for vehicle in self:
            vehicle.carshare_iot_device_count = counts.get(vehicle, 0)

    def action_view_carshare_iot_devices(self):
        check_view(self)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "carshare_iot.action_carshare_iot_device"
        )
        action["domain"] = [("vehicle_id", "=", self.id)]
        action["context"] = {"default_vehicle_id": self.id, "default_kind": "immobiliser"}
        return action

    def _carshare_iot_apply_readings(self, data):
        """Battery and range from the telematics box; a drop may move the next booking."""
        values = {}
        if "battery_level" in data:
            values["carshare_battery_level"] = data["battery_level"]
        if "range_km" in data:
            values["carshare_range_km"] = round(data["range_km"])
        values = {key: value for key, value in values.items() if self[key] != value}
        if not values:
            return
        self.write(values)
        if "carshare_range_km" in values:
            self._carshare_iot_transfer_short_range()

    def _carshare_iot_transfer_short_range(self):
        """What the transfer cron would do, now that the range is known to be too short."""
        now = fields.Datetime.now()
        bookings = self.env["carshare.booking"].search(
            [("vehicle_id", "=", self.id), ("state", "=", "confirmed")], order="date_start"
        )
        for booking in bookings.filtered(lambda b: b._in_transfer_window(now)):
            if booking._transfer_reason() == "battery" and not booking._transfer("battery"):
                booking._request_manual_transfer("battery")

    def _carshare_iot_booking_at(self, moment, states):
        """The booking of the vehicle in these states whose access window holds ``moment``."""
        if not self:
            return self.env["carshare.booking"]
        domain = [("vehicle_id", "=", self.id), ("state", "in", states)]
        if "ongoing" not in states:
            domain += [("access_valid_from", "<=", moment), ("access_valid_until", ">=", moment)]
        return self.env["carshare.booking"].search(domain, order="date_start", limit=1)

    def _carshare_iot_returned_since(self, moment):
        """The booking returned after ``moment``: an event of its trip that arrives late."""
        if not self:
            return self.env["carshare.booking"]
        return self.env["carshare.booking"].search(
            [("vehicle_id", "=", self.id), ("state", "=", "done"), ("date_return", ">=", moment)],
            order="date_return desc",
            limit=1,
        )

    def _carshare_iot_booking_by_badge(self, badge, moment):
        booking = self._carshare_iot_booking_at(moment, ("ongoing",))
        booking = booking or self._carshare_iot_booking_at(moment, ("confirmed",))
        if (booking.partner_id.carshare_badge_uid or "").upper() != badge.upper():
            return self.env["carshare.booking"]
        return booking

    def _carshare_iot_record_position(self, trigger, position, moment):
        """Keep a position only at pick-up and return, on the booking (GDPR)."""
        booking = self._carshare_iot_booking_at(moment, ("ongoing",))
        if trigger == "pickup":
            booking = booking or self._carshare_iot_booking_at(moment, ("confirmed",))
            prefix = "pickup"
        else:
            booking = booking or self.env["carshare.booking"].search(
                [
                    ("vehicle_id", "=", self.id),
                    ("state", "=", "done"),
                    ("date_return", ">=", moment - RETURN_POSITION_DELAY),
                ],
                order="date_return desc",
                limit=1,
            )
            prefix = "return"
        if booking:
            booking.write(
                {f"{prefix}_latitude": position["lat"], f"{prefix}_longitude": position["lon"]}
            )
        return booking
