import json
import re
import secrets
from datetime import timedelta

from odoo import api, fields, models, tools
from odoo.exceptions import UserError, ValidationError

from odoo.addons.carshare_fleet.access import MANAGER_GROUP, check_groups, check_view

from ..iotlib import mosquitto, protocol
from .fleet_vehicle import WINDOW_STATES, window_domain

BRIDGE_USERNAME = "carshare-bridge"
BRIDGE_HASHES_PARAM = "carshare_iot.bridge_password_hashes"
# An immobiliser left disarmed is a stolen car: arming is retried for long.
ARM_TTL = timedelta(days=7)
LAST_SEEN_STEP = timedelta(seconds=30)


class CarshareIotDevice(models.Model):
    _name = "carshare.iot.device"
    _description = "Carsharing IoT Device"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "kind, identifier"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    identifier = fields.Char(
        required=True,
        copy=False,
        index=True,
        tracking=True,
        help="Names the device's MQTT topics (carshare/v1/<identifier>/...) and is its MQTT "
        "user name: letters, digits, - and _.",
    )
    kind = fields.Selection(
        [("keybox", "Key Box"), ("immobiliser", "Immobiliser"), ("telematics", "Telematics Box")],
        required=True,
        tracking=True,
    )
    active = fields.Boolean(default=True, tracking=True)
    station_id = fields.Many2one(
        "carshare.station",
        index="btree_not_null",
        tracking=True,
        check_company=True,
        help="Where the key box stands.",
    )
    vehicle_id = fields.Many2one(
        "fleet.vehicle",
        index="btree_not_null",
        tracking=True,
        check_company=True,
        help="The vehicle the immobiliser or telematics box is fitted in.",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        compute="_compute_company_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    secret = fields.Char(
        groups=MANAGER_GROUP,
        copy=False,
        default=lambda self: secrets.token_hex(32),
        help="Signs the commands sent to the device and the messages it sends: set it in the "
        "device, keep it out of mails and tickets.",
    )
    mqtt_password_hash = fields.Char(string="MQTT Password Hash", groups=MANAGER_GROUP, copy=False)
    has_mqtt_password = fields.Boolean(
        string="MQTT Password Set", compute="_compute_has_mqtt_password"
    )
    status = fields.Selection(
        [("unknown", "Unknown"), ("online", "Online"), ("offline", "Offline")],
        default="unknown",
        required=True,
        readonly=True,
        copy=False,
    )
    status_at = fields.Datetime(string="Status Since", readonly=True, copy=False)
    last_seen = fields.Datetime(readonly=True, copy=False)
    firmware = fields.Char(readonly=True, copy=False)
    telemetry_at = fields.Datetime(string="Last Telemetry", readonly=True, copy=False)
    odometer = fields.Float(string="Last Odometer", readonly=True, copy=False)
    charging = fields.Boolean(readonly=True, copy=False)
    command_ids = fields.One2many("carshare.iot.command", "device_id", string="Commands")
    pending_command_count = fields.Integer(compute="_compute_pending_command_count")
    iot_message_count = fields.Integer(
        string="Device Messages", compute="_compute_iot_message_count"
    )

    _sql_constraints = [
        ("identifier_uniq", "unique(identifier)", "A device identifier is unique."),
    ]

    @api.depends("station_id", "vehicle_id")
    def _compute_company_id(self):
        for device in self:
            device.company_id = (
                device.station_id.company_id
                or device.vehicle_id.company_id
                or device.company_id
                or self.env.company
            )

    def _compute_has_mqtt_password(self):
        for device in self:
            device.has_mqtt_password = bool(device.sudo().mqtt_password_hash)

    def _compute_pending_command_count(self):
        counts = dict(
            self.env["carshare.iot.command"]._read_group(
                [("device_id", "in", self.ids), ("state", "in", ("pending", "sent"))],
                ["device_id"],
                ["__count"],
            )
        )
        for device in self:
            device.pending_command_count = counts.get(device, 0)

    def _compute_iot_message_count(self):
        counts = dict(
            self.env["carshare.iot.message"]._read_group(
                [("device_id", "in", self.ids)], ["device_id"], ["__count"]
            )
        )
        for device in self:
            device.iot_message_count = counts.get(device, 0)

    @api.constrains("identifier")
    def _check_identifier(self):
        for device in self:
            if not re.fullmatch(protocol.IDENTIFIER_PATTERN, device.identifier or ""):
                raise ValidationError(
                    self.env._(
                        "The identifier %(identifier)s must be 2 to 64 letters, digits, - or _, "
                        "starting with a letter or a digit.",
                        identifier=device.identifier,
                    )
                )
            if device.identifier.lower().startswith(BRIDGE_USERNAME):
                raise ValidationError(
                    self.env._(
                        "Identifiers starting with %(name)s are kept for the bridge.",
                        name=BRIDGE_USERNAME,
                    )
                )

    @api.constrains("kind", "station_id", "vehicle_id")
    def _check_place(self):
        for device in self:
            if device.kind == "keybox" and (not device.station_id or device.vehicle_id):
                raise ValidationError(
                    self.env._(
                        "Key box %(device)s belongs to a station, not to a vehicle.",
                        device=device.name,
                    )
                )
            if device.kind != "keybox" and (not device.vehicle_id or device.station_id):
                raise ValidationError(
                    self.env._(
                        "Device %(device)s is fitted in a vehicle, not in a station.",
                        device=device.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        devices = super().create(vals_list)
        self.env.registry.clear_cache()
        devices._push_active_grants()
        return devices

    def write(self, vals):
        if {"identifier", "active"} & vals.keys():
            self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()

    @api.model
    @tools.ormcache("identifier")
    def _id_by_identifier(self, identifier):
        """The id of the active device of this identifier (False: none); cached, every message
        of the bridge asks, the cache is cleared when devices are created, renamed, archived or
        deleted (in every Odoo process, through the registry's signaling)."""
        devices = self.sudo().with_context(active_test=True)
        return devices.search([("identifier", "=", identifier)], limit=1).id

    # -- commands --------------------------------------------------------------------------------

    def _queue_command(self, command_type, params, expires_at, booking=None, supersede_key=None):
        """Write commands to the outbox, in the caller's transaction; the bridge sends them."""
        Command = self.env["carshare.iot.command"].sudo()
        vals_list = []
        for device in self.filtered(lambda d: command_type in protocol.KIND_COMMANDS[d.kind]):
            if supersede_key:
                Command.search(
                    [
                        ("device_id", "=", device.id),
                        ("supersede_key", "=", supersede_key),
                        ("state", "in", ("pending", "sent")),
                    ]
                ).write({"state": "superseded"})
            vals_list.append(
                {
                    "device_id": device.id,
                    "command_type": command_type,
                    "params": params,
                    "expires_at": expires_at,
                    "booking_id": booking.id if booking else False,
                    "supersede_key": supersede_key,
                }
            )
        return Command.create(vals_list)

    def _command_ttl(self):
        minutes = (
            self.env["ir.config_parameter"].sudo().get_param("carshare_iot.command_ttl_minutes", 60)
        )
        return timedelta(minutes=int(minutes))

    def _push_active_grants(self):
        """Send a (new) device the codes and badges of the active bookings it serves."""
        bookings = self.env["carshare.booking"].search(
            [
                ("state", "in", ("confirmed", "ongoing")),
                "|",
                ("station_id", "in", self.station_id.ids),
                ("vehicle_id", "in", self.vehicle_id.ids),
            ]
        )
        for booking in bookings:
            booking._iot_sync_grants({}, devices=self)

    def _queue_manual(self, command_type):
        self._check_manager()
        ttl = ARM_TTL if command_type == "immobiliser.arm" else self._command_ttl()
        commands = self._queue_command(
            command_type,
            {},
            fields.Datetime.now() + ttl,
            supersede_key=self._manual_supersede_key(command_type),
        )
        if not commands:
            raise UserError(self.env._("These devices do not take this command."))
        return True

    @staticmethod
    def _manual_supersede_key(command_type):
        if command_type.startswith("immobiliser."):
            return "immobiliser"
        if command_type in ("lock", "unlock"):
            return "lock"
        return None

    def _check_manager(self):
        check_groups(
            self.env,
            MANAGER_GROUP,
            message=self.env._("Only carsharing managers operate the devices."),
        )

    def action_unlock(self):
        return self._queue_manual("unlock")

    def action_lock(self):
        return self._queue_manual("lock")

    def action_arm(self):
        return self._queue_manual("immobiliser.arm")

    def action_disarm(self):
        return self._queue_manual("immobiliser.disarm")

    def action_resync(self):
        """Push again the codes and badges of the active bookings (e.g. a replaced device)."""
        self._check_manager()
        self._push_active_grants()
        return True

    # -- credentials -----------------------------------------------------------------------------

    def action_rotate_secret(self):
        self._check_manager()
        for device in self:
            device.sudo().secret = secrets.token_hex(32)
            device.message_post(
                body=self.env._("New signing secret: set it in the device before its next message.")
            )
        return True

    def action_reset_mqtt_password(self):
        """A new MQTT password, shown once; only its hash is stored."""
        self._check_manager()
        self.ensure_one()
        password = secrets.token_urlsafe(24)
        self.sudo().mqtt_password_hash = mosquitto.password_hash(password)
        self.message_post(body=self.env._("New MQTT password generated."))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("MQTT password of %(device)s", device=self.identifier),
                "message": self.env._(
                    "%(password)s - copy it into the device now: it is not shown again. "
                    "Then update the broker's password file.",
                    password=password,
                ),
                "sticky": True,
                "type": "warning",
            },
        }

    @api.model
    def _bridge_password_hashes(self):
        """{bridge user name: Mosquitto hash}: one user for active and standby bridges, one
        more for each bridge sharing subscriptions."""
        params = self.env["ir.config_parameter"].sudo()
        hashes = json.loads(params.get_param(BRIDGE_HASHES_PARAM) or "{}")
        legacy = params.get_param("carshare_iot.bridge_password_hash")
        if legacy:
            hashes.setdefault(BRIDGE_USERNAME, legacy)
        return hashes

    @api.model
    def _set_bridge_password_hash(self, username, hashed):
        hashes = self._bridge_password_hashes()
        hashes[username] = hashed
        self.env["ir.config_parameter"].sudo().set_param(BRIDGE_HASHES_PARAM, json.dumps(hashes))

    @api.model
    def _mosquitto_files(self, bridge_username=BRIDGE_USERNAME):
        """(password file, ACL file) for Mosquitto, from every device of every company and the
        bridges' users. The broker makes each client id its user name
        (use_username_as_clientid): a device's password never opens another's session."""
        # The broker serves all companies: a partial file would lock the others' devices out.
        devices = self.sudo().with_context(active_test=True).search([("identifier", "!=", False)])
        entries = {d.identifier: d.mqtt_password_hash for d in devices if d.mqtt_password_hash}
        bridges = self._bridge_password_hashes()
        entries.update(bridges)
        return (
            mosquitto.password_file(entries),
            mosquitto.acl_file({bridge_username, *bridges}, devices.mapped("identifier")),
        )

    # -- navigation ------------------------------------------------------------------------------

    def action_view_commands(self):
        check_view(self)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "carshare_iot.action_carshare_iot_command"
        )
        action["domain"] = [("device_id", "=", self.id)]
        return action

    def action_view_messages(self):
        check_view(self, MANAGER_GROUP)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "carshare_iot.action_carshare_iot_message"
        )
        action["domain"] = [("device_id", "=", self.id)]
        return action

    # -- what the device says --------------------------------------------------------------------

    def _seen(self, moment):
        """Record the newest message time, writing rarely (many messages per minute)."""
        if not self.last_seen or moment > self.last_seen + LAST_SEEN_STEP:
            self.last_seen = min(moment, fields.Datetime.now())

    def _on_status(self, data, moment):
        if self.status_at and moment < self.status_at:
            return self.env._("Older than the current status: ignored.")
        self.write(
            {
                "status": data["state"],
                "status_at": moment,
                "firmware": data.get("firmware") or self.firmware,
            }
        )
        states = dict(self._fields["status"]._description_selection(self.env))
        result = self.env._("Status: %(state)s.", state=states[data["state"]])
        if data["state"] == "online" and data.get("session_present") is False:
            # A new broker session holds none of the commands sent before: send them again.
            self._push_active_grants()
            result += " " + self.env._("New session: active codes and badges sent again.")
        return result

    def _on_telemetry(self, data, moment):
        if self.telemetry_at and moment < self.telemetry_at:
            return self.env._("Older than the last telemetry: ignored."), self.env[
                "carshare.booking"
            ]
        values = {"telemetry_at": moment}
        if "odometer" in data:
            values["odometer"] = data["odometer"]
        if "charging" in data:
            values["charging"] = data["charging"]
        self.write(values)
        self.vehicle_id._carshare_iot_apply_readings(data)
        booking = self.env["carshare.booking"]
        if data.get("trigger") and data.get("position"):
            booking = self.vehicle_id._carshare_iot_record_position(
                data["trigger"], data["position"], moment
            )
        return self.env._("Readings recorded."), booking

    def _on_event(self, event_type, data, moment):
        """(result, booking) of a device event."""
        handler = getattr(self, "_on_" + event_type.replace(".", "_"))
        return handler(data, moment)

    def _vehicle_in_slot(self, slot):
        return self.env["fleet.vehicle"].search(
            [
                ("carshare_station_id", "=", self.station_id.id),
                ("carshare_keybox_slot", "=", slot),
            ],
            limit=1,
        )

    def _booking_by_code(self, code, moment):
        """The booking of this code whose window held ``moment`` (key boxes: at the station,
        vehicle devices: of the vehicle). Codes are unique among the station's bookings whose
        windows overlap, so the code and the time name one booking."""
        place = (
            ("station_id", "=", self.station_id.id)
            if self.kind == "keybox"
            else ("vehicle_id", "=", self.vehicle_id.id)
        )
        return self.env["carshare.booking"].search(
            [
                place,
                ("access_code", "=", code),
                ("state", "in", WINDOW_STATES),
                *window_domain(moment),
            ],
            order="date_start",
            limit=1,
        )

    def _late_event(self, booking):
        """An event of a returned booking's trip read after the return changes nothing."""
        return self.env._(
            "Booking %(booking)s already returned: late event, nothing changed.",
            booking=booking.name,
        ), booking

    def _on_code_typed(self, data, moment):
        booking = self._booking_by_code(data["code"], moment)
        if booking:
            return self.env._("Code of booking %(booking)s.", booking=booking.name), booking
        return self.env._("Wrong code."), booking

    def _on_key_taken(self, data, moment):
        vehicle = self._vehicle_in_slot(data["slot"])
        if data.get("code"):
            booking = self._booking_by_code(data["code"], moment)
        else:
            booking = vehicle._carshare_iot_booking_at(moment)
        if not booking:
            self._raise_alarm(
                self.env._(
                    "The key of slot %(slot)s was taken without a booking.", slot=data["slot"]
                )
            )
            return self.env._("Key taken without a booking."), booking
        if booking.state == "done":
            return self._late_event(booking)
        if booking.vehicle_id != vehicle:
            booking.message_post(
                body=self.env._(
                    "The key of slot %(slot)s was taken instead of the key of %(vehicle)s.",
                    slot=data["slot"],
                    vehicle=booking.vehicle_id.display_name,
                )
            )
        return booking._iot_start(moment), booking

    def _on_key_returned(self, data, moment):
        vehicle = self._vehicle_in_slot(data["slot"])
        if data.get("code"):
            booking = self._booking_by_code(data["code"], moment)
            booking = booking if booking.vehicle_id == vehicle else self.env["carshare.booking"]
        else:
            booking = vehicle._carshare_iot_booking_at(moment)
        if not booking:
            return self.env._("Key back in slot %(slot)s, no booking.", slot=data["slot"]), booking
        if booking.state == "done":
            return self._late_event(booking)
        # A confirmed booking: a return read before its pick-up (reordered, or taken while the
        # box was offline) starts then returns it.
        return booking._iot_return(moment, data.get("odometer"), data.get("energy")), booking

    def _on_ignition_on(self, data, moment):
        vehicle = self.vehicle_id
        booking = self.env["carshare.booking"]
        if data.get("code"):
            booking = self._booking_by_code(data["code"], moment)
        elif data.get("badge"):
            booking = vehicle._carshare_iot_booking_by_badge(data["badge"], moment)
        self._record_odometer(data, moment)
        if booking.state == "done":
            return self._late_event(booking)
        if booking:
            return booking._iot_start(moment, data.get("odometer"), data.get("energy")), booking
        running = vehicle._carshare_iot_booking_at(moment, ("ongoing", "done"))
        if running.state == "done":
            return self._late_event(running)
        if running:
            return self.env._("Ignition during booking %(booking)s.", booking=running.name), running
        self._raise_alarm(self.env._("The engine was started without a booking."))
        return self.env._("Ignition without a booking."), running

    def _on_ignition_off(self, data, moment):
        self._record_odometer(data, moment)
        return self.env._("Ignition off."), self.env["carshare.booking"]

    def _record_odometer(self, data, moment):
        if "odometer" in data and not (self.telemetry_at and moment < self.telemetry_at):
            self.write({"odometer": data["odometer"], "telemetry_at": moment})

    def _on_badge_presented(self, data, moment):
        booking = self.vehicle_id._carshare_iot_booking_by_badge(data["badge"], moment)
        if not (data["accepted"] and booking):
            return self.env._("Badge refused."), booking
        if booking.state == "done":
            return self._late_event(booking)
        return booking._iot_start(moment), booking

    def _on_door_opened(self, data, moment):
        booking = self.vehicle_id._carshare_iot_booking_at(moment, ("ongoing", "done"))
        if self.kind == "telematics" and not booking:
            self._raise_alarm(self.env._("A door was opened without a booking."))
        return self.env._("Door %(door)s opened.", door=data.get("door", "")), booking

    def _on_alarm(self, data, moment):
        kind = data["kind"]
        detail = data.get("detail") or ""
        self._raise_alarm(self.env._("Alarm %(kind)s: %(detail)s", kind=kind, detail=detail))
        return self.env._("Alarm %(kind)s.", kind=kind), self.env["carshare.booking"]

    def _raise_alarm(self, text):
        """Tell the followers of the device (the managers) at once."""
        self.message_post(body=text, subtype_xmlid="mail.mt_comment")
