import re

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.carshare_booking.models.carshare_booking import device_event
from odoo.addons.carshare_fleet.access import check_view

from ..iotlib import protocol
from .carshare_iot_device import ARM_TTL, MANAGER_GROUP

# Writing these may change what the devices must hold for a booking (its state changes through
# the transitions, whose hooks sync the devices).
IOT_FIELDS = {
    "vehicle_id",
    "station_id",
    "access_code",
    "date_start",
    "date_end",
    "community_id",
    "partner_id",
}
GRANT_STATES = ("confirmed", "ongoing")
# grant kind: (command giving it, command taking it back)
GRANT_COMMANDS = {
    "code": ("code.push", "code.revoke"),
    "badge": ("badge.authorise", "badge.revoke"),
}


class CarshareBooking(models.Model):
    _inherit = "carshare.booking"

    pickup_latitude = fields.Float(digits=(10, 7), readonly=True, copy=False)
    pickup_longitude = fields.Float(digits=(10, 7), readonly=True, copy=False)
    return_latitude = fields.Float(digits=(10, 7), readonly=True, copy=False)
    return_longitude = fields.Float(digits=(10, 7), readonly=True, copy=False)
    iot_command_ids = fields.One2many(
        "carshare.iot.command", "booking_id", string="Device Commands"
    )
    iot_command_count = fields.Integer(
        string="Device Command Count", compute="_compute_iot_command_count"
    )

    def _compute_iot_command_count(self):
        counts = dict(
            self.env["carshare.iot.command"]._read_group(
                [("booking_id", "in", self.ids)], ["booking_id"], ["__count"]
            )
        )
        for booking in self:
            booking.iot_command_count = counts.get(booking, 0)

    # -- the outbox follows the booking, in the same transaction ---------------------------------
    # The transitions' hooks sync the devices with the new state; write() syncs them with the
    # other fields the grants hold (a transfer's vehicle, station and code, moved dates).

    @api.model_create_multi
    def create(self, vals_list):
        bookings = super().create(vals_list)
        for booking in bookings:
            booking._iot_sync_grants({})
            booking._iot_sync_immobiliser("draft")
        return bookings

    def write(self, vals):
        # A transition (it writes the state) syncs the devices in its hook, once.
        if IOT_FIELDS.isdisjoint(vals) or "state" in vals:
            return super().write(vals)
        before = {booking.id: booking._iot_grants() for booking in self}
        result = super().write(vals)
        for booking in self:
            booking._iot_sync_grants(before[booking.id])
        return result

    def _on_booking_confirmed(self):
        result = super()._on_booking_confirmed()
        for booking in self:
            booking._iot_sync_grants({})
        return result

    def _on_booking_started(self):
        result = super()._on_booking_started()
        for booking in self:
            booking._iot_sync_immobiliser("confirmed")
        return result

    def _on_booking_closed(self, previous_state):
        result = super()._on_booking_closed(previous_state)
        for booking in self:
            booking._iot_sync_grants(booking._iot_grants(previous_state))
            booking._iot_sync_immobiliser(previous_state)
        return result

    def _iot_devices(self):
        return (
            self.env["carshare.iot.device"]
            .sudo()
            .search(
                [
                    "|",
                    ("station_id", "in", self.station_id.ids),
                    ("vehicle_id", "in", self.vehicle_id.ids),
                ]
            )
        )

    def _iot_unlock_devices(self):
        """What opens the booking's vehicle: its telematics box, the station's key box."""
        return self._iot_devices().filtered(lambda d: "unlock" in protocol.KIND_COMMANDS[d.kind])

    def _iot_slot_params(self, device):
        slot = self.vehicle_id.carshare_keybox_slot
        if device.kind == "keybox" and slot and re.fullmatch(protocol.SLOT.pattern.pattern, slot):
            return {"slot": slot}
        return {}

    def action_iot_unlock(self):
        """The driver (from the portal) or a manager opens the vehicle in the access window."""
        self.ensure_one()
        if self.partner_id != self.env.user.partner_id and not self.env.user.has_group(
            MANAGER_GROUP
        ):
            raise AccessError(self.env._("Only the driver of the booking may open the vehicle."))
        # The driver has no rights on the devices: the rest is the booking's own work.
        return self.sudo()._iot_unlock()

    def _iot_unlock(self):
        now = fields.Datetime.now()
        if self.state not in GRANT_STATES or not (
            self.access_valid_from <= now <= self.access_valid_until
        ):
            raise UserError(
                self.env._("The vehicle opens only during the access window of the booking.")
            )
        devices = self._iot_unlock_devices()
        if not devices:
            raise UserError(self.env._("This vehicle has no connected box to open it."))
        expires = min(now + devices._command_ttl(), self.access_valid_until)
        for device in devices:
            device._queue_command(
                "unlock",
                self._iot_slot_params(device),
                expires,
                booking=self,
                supersede_key=f"unlock:{self.id}",
            )
        self.message_post(body=self.env._("Unlock requested by %(user)s.", user=self.env.user.name))
        return True

    def _iot_grants(self, state=None):
        """{(device id, grant kind, code or badge): parameters} the devices hold for the booking,
        in its state or in ``state`` (the one it just left)."""
        if (state or self.state) not in GRANT_STATES or not self.access_code:
            return {}
        window = {
            "booking": self.name,
            "valid_from": protocol.format_ts(self.access_valid_from),
            "valid_until": protocol.format_ts(self.access_valid_until),
        }
        badge = (self.partner_id.carshare_badge_uid or "").upper()
        grants = {}
        for device in self._iot_devices():
            commands = protocol.KIND_COMMANDS[device.kind]
            if "code.push" in commands:
                params = {"code": self.access_code, **window, **self._iot_slot_params(device)}
                grants[(device.id, "code", self.access_code)] = params
            if badge and "badge.authorise" in commands:
                grants[(device.id, "badge", badge)] = {"badge": badge, **window}
        return grants

    def _iot_sync_grants(self, before, devices=None):
        """Queue the pushes and revocations turning ``before`` into the current grants."""
        after = self._iot_grants()
        if devices is not None:
            before = {key: v for key, v in before.items() if key[0] in devices.ids}
            after = {key: v for key, v in after.items() if key[0] in devices.ids}
        for key, params in before.items():
            if key not in after:
                self._iot_queue_grant(key, params, revoke=True)
        for key, params in after.items():
            if before.get(key) != params:
                self._iot_queue_grant(key, params)

    def _iot_queue_grant(self, key, params, revoke=False):
        device_id, kind, value = key
        until = protocol.parse_ts(params["valid_until"]).replace(tzinfo=None)
        if revoke:
            if until <= fields.Datetime.now():
                return  # the device drops it by itself
            params = {kind: value, "booking": params["booking"]}
        self.env["carshare.iot.device"].sudo().browse(device_id)._queue_command(
            GRANT_COMMANDS[kind][1 if revoke else 0],
            params,
            until,
            booking=self,
            supersede_key=f"{kind}:{self.id}:{value}",
        )

    def _iot_sync_immobiliser(self, old_state):
        """The immobiliser stays armed outside a running booking."""
        if (old_state == "ongoing") == (self.state == "ongoing"):
            return
        immobilisers = self._iot_devices().filtered(lambda d: d.kind == "immobiliser")
        now = fields.Datetime.now()
        if self.state == "ongoing":
            ttl = immobilisers._command_ttl()
            command, expires = "immobiliser.disarm", max(self.access_valid_until, now + ttl)
        else:
            command, expires = "immobiliser.arm", now + ARM_TTL
        immobilisers._queue_command(
            command, {"booking": self.name}, expires, booking=self, supersede_key="immobiliser"
        )

    # -- driven by the devices -------------------------------------------------------------------

    def _iot_telematics_reading(self, since, until):
        """The newest odometer of the vehicle's telematics boxes read between these times."""
        readings = [
            (device.telemetry_at, device.odometer)
            for device in self._iot_devices()
            if device.kind == "telematics"
            and device.telemetry_at
            and (not since or device.telemetry_at >= since)
            and device.telemetry_at <= until
        ]
        return max(readings, default=(None, None))[1]

    def _start_odometer(self):
        # The vehicle's odometer is its last return's, which a box may still hold in its buffer;
        # a telematics reading taken before the pick-up may be newer (then higher) or older than
        # that return (then lower: stale).
        odometer = super()._start_odometer()
        reading = self._iot_telematics_reading(None, self._event_time())
        return reading if reading is not None and reading > odometer else odometer

    def _iot_start(self, moment, odometer=None, energy=None):
        if self.state == "ongoing":
            return self.env._("Booking %(booking)s already started.", booking=self.name)
        with device_event(moment):
            self.action_start(odometer=odometer, energy=energy)
        return self.env._("Booking %(booking)s started.", booking=self.name)

    def _iot_return(self, moment, odometer=None, energy=None):
        if self.state == "confirmed":
            # The pick-up was never heard of: it happened once the code opened, at the earliest
            # (the average speed is then checked on the longest trip it can have been).
            self._iot_start(self.access_valid_from)
        doubt = None
        if odometer is None:
            odometer = self._iot_telematics_reading(self.date_pickup, moment)
            if odometer is None and self._iot_devices().filtered(lambda d: d.kind == "telematics"):
                doubt = self.env._("The telematics box sent no odometer reading during the trip.")
        with device_event(moment, doubt):
            self.action_return(odometer=odometer, energy=energy)
        return self.env._("Booking %(booking)s returned.", booking=self.name)

    def action_view_iot_commands(self):
        check_view(self)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "carshare_iot.action_carshare_iot_command"
        )
        action["domain"] = [("booking_id", "=", self.id)]
        return action
