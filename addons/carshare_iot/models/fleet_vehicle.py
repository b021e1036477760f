from datetime import timedelta

from odoo import fields, models

from odoo.addons.carshare_fleet.access import check_view

# A return position may come shortly after the key is back in the box.
RETURN_POSITION_DELAY = timedelta(hours=1)
# The bookings a device event may concern: the others' codes no longer open anything.
WINDOW_STATES = ("confirmed", "ongoing", "done")
# Where windows overlap, the booking that had the car at the time comes first.
HOLDER_ORDER = {"ongoing": 0, "done": 1, "confirmed": 2}


def window_domain(moment):
    """Bookings whose access window held ``moment``: a confirmed booking's window, an ongoing
    booking from its window's opening on, a returned booking until its return."""
    # Odoo keeps datetimes to the second: an event of the very second of a return is its own.
    moment = moment.replace(microsecond=0)
    return [
        ("access_valid_from", "<=", moment),
        "|",
        "|",
        ("state", "=", "ongoing"),
        "&",
        ("state", "=", "confirmed"),
        ("access_valid_until", ">=", moment),
        "&",
        ("state", "=", "done"),
        ("date_return", ">=", moment),
    ]


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

    def _carshare_iot_booking_at(self, moment, states=WINDOW_STATES):
        """The booking of the vehicle whose access window held ``moment``.

        A confirmed booking's window is its access window; an ongoing one's lasts until it is
        returned, a returned one's until its return. Where windows overlap, the booking that had
        the car then comes first: an ongoing one, then a returned one, then the earliest start.
        """
        if not self:
            return self.env["carshare.booking"]
        bookings = self.env["carshare.booking"].search(
            [("vehicle_id", "=", self.id), *window_domain(moment), ("state", "in", states)],
            order="date_start",
        )
        return bookings.sorted(lambda b: HOLDER_ORDER[b.state])[:1]

    def _carshare_iot_booking_by_badge(self, badge, moment):
        """The booking of the driver with this RFID badge whose window held ``moment``."""
        booking = self._carshare_iot_booking_at(moment)
        if (booking.partner_id.carshare_badge_uid or "").upper() != badge.upper():
            return self.env["carshare.booking"]
        return booking

    def _carshare_iot_record_position(self, trigger, position, moment):
        """Keep a position only at pick-up and return, on the booking (GDPR)."""
        if trigger == "pickup":
            booking = self._carshare_iot_booking_at(moment, ("confirmed", "ongoing"))
        else:
            booking = self._carshare_iot_booking_at(moment, ("ongoing", "done"))
            booking = booking or self.env["carshare.booking"].search(
                [
                    ("vehicle_id", "=", self.id),
                    ("state", "=", "done"),
                    ("date_return", "<=", moment),
                    ("date_return", ">=", moment - RETURN_POSITION_DELAY),
                ],
                order="date_return desc",
                limit=1,
            )
        if booking:
            booking.write(
                {f"{trigger}_latitude": position["lat"], f"{trigger}_longitude": position["lon"]}
            )
        return booking
