import logging
from datetime import date, timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..iotlib import protocol

_logger = logging.getLogger(__name__)
EXCERPT_CHARS = 512
TABLE = "carshare_iot_message"
DEFAULT_PARTITION = f"{TABLE}_default"
MONTHS_AHEAD = 2
# The table, partitioned by month of the device's time (PostgreSQL declarative partitioning):
# tens of millions of rows a month at national scale, forgotten by dropping whole months. A
# unique constraint of a partitioned table must hold its partition key: a device message and its
# redeliveries and replays carry the same signed id and time, so (device, id, time) is unique.
TABLE_DDL = f"""
CREATE SEQUENCE IF NOT EXISTS {TABLE}_id_seq;
CREATE TABLE IF NOT EXISTS {TABLE} (
    id integer NOT NULL DEFAULT nextval('{TABLE}_id_seq'),
    direction varchar NOT NULL,
    device_id integer REFERENCES carshare_iot_device (id) ON DELETE CASCADE,
    company_id integer REFERENCES res_company (id) ON DELETE SET NULL,
    topic varchar,
    channel varchar,
    message_type varchar,
    message_id varchar,
    dedup_key varchar,
    device_ts timestamp NOT NULL,
    state varchar NOT NULL,
    result varchar,
    excerpt text,
    booking_id integer REFERENCES carshare_booking (id) ON DELETE SET NULL,
    command_id integer REFERENCES carshare_iot_command (id) ON DELETE SET NULL,
    create_uid integer REFERENCES res_users (id) ON DELETE SET NULL,
    create_date timestamp,
    write_uid integer REFERENCES res_users (id) ON DELETE SET NULL,
    write_date timestamp,
    PRIMARY KEY (id, device_ts),
    CONSTRAINT {TABLE}_device_message_uniq UNIQUE (device_id, dedup_key, device_ts)
) PARTITION BY RANGE (device_ts);
ALTER SEQUENCE {TABLE}_id_seq OWNED BY {TABLE}.id;
CREATE TABLE IF NOT EXISTS {DEFAULT_PARTITION} PARTITION OF {TABLE} DEFAULT;
CREATE INDEX IF NOT EXISTS {TABLE}_direction_idx ON {TABLE} (direction);
CREATE INDEX IF NOT EXISTS {TABLE}_device_id_idx ON {TABLE} (device_id);
CREATE INDEX IF NOT EXISTS {TABLE}_company_id_idx ON {TABLE} (company_id);
CREATE INDEX IF NOT EXISTS {TABLE}_message_id_idx ON {TABLE} (message_id);
CREATE INDEX IF NOT EXISTS {TABLE}_state_idx ON {TABLE} (state);
CREATE INDEX IF NOT EXISTS {TABLE}_booking_id_idx ON {TABLE} (booking_id)
    WHERE booking_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS {TABLE}_command_id_idx ON {TABLE} (command_id)
    WHERE command_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS {TABLE}_id_idx ON {TABLE} (id);
"""


def month_start(moment):
    return date(moment.year, moment.month, 1)


def next_month(day):
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def partition_name(month):
    return f"{TABLE}_y{month.year}m{month.month:02d}"


def log_refusal(topic, reason):
    """Server log of a message refused before the database: its topic, never its content."""
    _logger.warning("MQTT message refused on %r: %s", topic[:120], reason)


class CarshareIotMessage(models.Model):
    _name = "carshare.iot.message"
    _description = "IoT Message Log"
    _order = "id desc"
    _rec_name = "message_id"
    # The ORM creates no partitioned table and counts none among the existing tables: init()
    # creates it, the ORM reads it through _table_query and writes it as _table.
    _auto = False
    _log_access = True
    _table = TABLE
    _table_query = f"SELECT * FROM {TABLE}"

    direction = fields.Selection(
        [("in", "Received"), ("out", "Sent")], required=True, readonly=True, index=True
    )
    device_id = fields.Many2one(
        "carshare.iot.device", readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="device_id.company_id", store=True, index=True)
    topic = fields.Char(readonly=True)
    channel = fields.Selection(
        [
            ("cmd", "Command"),
            ("ack", "Acknowledgement"),
            ("event", "Event"),
            ("telemetry", "Telemetry"),
            ("status", "Status"),
        ],
        readonly=True,
    )
    message_type = fields.Char(string="Type", readonly=True)
    message_id = fields.Char(string="Message ID", readonly=True, index=True)
    dedup_key = fields.Char(
        readonly=True, help="The message ID once accepted: a device message is processed once."
    )
    device_ts = fields.Datetime(string="Device Time", required=True, readonly=True)
    state = fields.Selection(
        [
            ("processed", "Processed"),
            ("duplicate", "Duplicate"),
            ("rejected", "Rejected"),
            ("failed", "Failed"),
            ("sent", "Sent"),
        ],
        required=True,
        readonly=True,
        index=True,
    )
    result = fields.Char(readonly=True)
    excerpt = fields.Text(string="Payload Excerpt", readonly=True)
    booking_id = fields.Many2one(
        "carshare.booking", readonly=True, index="btree_not_null", ondelete="set null"
    )
    command_id = fields.Many2one(
        "carshare.iot.command", readonly=True, index="btree_not_null", ondelete="set null"
    )

    def init(self):
        self.env.cr.execute(TABLE_DDL)
        self._ensure_partitions()

    @api.model
    def _ensure_partitions(self, first=None):
        """Partitions from the month of ``first`` (this month by default) to MONTHS_AHEAD
        months ahead; rows already in the default partition move into their month's."""
        month = month_start(first or fields.Datetime.now())
        last = month_start(fields.Datetime.now())
        for _ahead in range(MONTHS_AHEAD):
            last = next_month(last)
        cr = self.env.cr
        while month <= last:
            name = partition_name(month)
            cr.execute("SELECT to_regclass(%s)", [name])
            if not cr.fetchone()[0]:
                bounds = [month, next_month(month)]
                cr.execute(
                    SQL(
                        "CREATE TABLE %(part)s (LIKE %(table)s INCLUDING DEFAULTS);"
                        "WITH moved AS (DELETE FROM %(default)s WHERE device_ts >= %(start)s "
                        "AND device_ts < %(end)s RETURNING *) "
                        "INSERT INTO %(part)s SELECT * FROM moved;"
                        "ALTER TABLE %(table)s ATTACH PARTITION %(part)s "
                        "FOR VALUES FROM (%(start)s) TO (%(end)s)",
                        part=SQL.identifier(name),
                        table=SQL.identifier(TABLE),
                        default=SQL.identifier(DEFAULT_PARTITION),
                        start=bounds[0],
                        end=bounds[1],
                    )
                )
            month = next_month(month)

    @api.model
    def _partitions(self):
        """{first day of the month: partition name} of the monthly partitions."""
        self.env.cr.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [TABLE],
        )
        prefix = f"{TABLE}_y"
        return {
            date(int(name[len(prefix) : len(prefix) + 4]), int(name[-2:]), 1): name
            for (name,) in self.env.cr.fetchall()
            if name.startswith(prefix)
        }

    # -- receiving (the bridge) ------------------------------------------------------------------

    @api.model
    def _receive(self, topic, payload):
        """Validate, authenticate, deduplicate and apply one device message."""
        try:
            identifier, channel, message = protocol.parse_device_message(topic, payload)
        except protocol.ProtocolError as error:
            log_refusal(topic, error)
            return self.browse()
        return self._receive_message(topic, identifier, channel, message)

    @api.model
    def _receive_message(self, topic, identifier, channel, message, superseded=False):
        """Apply a message that follows the protocol, from whoever claims to send it.

        Messages that cannot be tied to a known device only reach the server log; the others
        are logged here with their result. A ``superseded`` telemetry (newer readings of the
        device follow in the bridge's batch) is checked and logged, not applied.
        """
        Device = self.env["carshare.iot.device"].sudo()
        device = Device.browse(Device._id_by_identifier(identifier))
        if not device:
            log_refusal(topic, "unknown device")
            return self.browse()
        log = self.sudo().with_company(device.company_id)
        reason = log._refusal(device, identifier, channel, message)
        if reason:
            _logger.warning("MQTT message from %s refused: %s", identifier, reason)
            return log._log_incoming(device, topic, message, "rejected", reason)
        return log._accept(device, topic, channel, message, superseded)

    @api.model
    def _receive_batch(self, received, superseded=()):
        """Apply the bridge's batch of messages that follow the protocol ((topic, (identifier,
        channel, message)) in their order; ``superseded``: indexes of the telemetry not to apply)
        in a few queries for the whole batch: the devices read at once, one query for the
        duplicates, one insert of the log rows, one update of their results. No savepoint a
        message: a failure is raised, the caller rolls the batch back and applies its messages
        one by one (``_receive_message``, a savepoint each)."""
        Device = self.env["carshare.iot.device"].sudo()
        ids = [Device._id_by_identifier(parsed[0]) for _topic, parsed in received]
        devices = {device.id: device for device in Device.browse(set(ids) - {False})}
        entries, unknown = [], []
        for index, ((topic, (identifier, channel, message)), device_id) in enumerate(
            zip(received, ids, strict=True)
        ):
            if not device_id:
                unknown.append(topic)
                continue
            device = devices[device_id]
            reason = self._refusal(device, identifier, channel, message)
            entries.append(
                {
                    "index": index,
                    "topic": topic,
                    "device": device,
                    "channel": channel,
                    "message": message,
                    "state": "rejected" if reason else "processed",
                    "result": reason,
                }
            )
        self._mark_duplicates([e for e in entries if e["state"] == "processed"])
        inserted = self._insert_incoming(entries)
        conflicting = [e for e in entries if e["state"] == "processed" and not e.get("id")]
        # Another bridge logged the same message meanwhile (its row conflicted): a duplicate.
        for entry in conflicting:
            entry["state"] = "duplicate"
        inserted += self._insert_incoming(conflicting)
        for entry in entries:
            if entry["state"] == "processed":
                self._apply_entry(entry, entry["index"] in superseded)
        self._write_results([e for e in entries if e["state"] == "processed"])
        for topic in unknown:
            log_refusal(topic, "unknown device")
        for entry in entries:
            if entry["state"] == "rejected":
                _logger.warning(
                    "MQTT message from %s refused: %s", entry["device"].identifier, entry["result"]
                )
            elif entry["state"] == "duplicate":
                _logger.info(
                    "MQTT message %s of %s already processed",
                    entry["message"]["id"],
                    entry["device"].identifier,
                )
        return self.browse(inserted)

    @api.model
    def _mark_duplicates(self, entries):
        """Mark the accepted entries already processed, before or earlier in the batch."""
        keys = {(e["device"].id, e["message"]["id"]) for e in entries}
        if not keys:
            return
        self.flush_model(["device_id", "dedup_key"])
        self.env.cr.execute(
            SQL(
                "SELECT device_id, dedup_key FROM %s WHERE device_id = ANY(%s) "
                "AND dedup_key = ANY(%s)",
                SQL.identifier(TABLE),
                list({key[0] for key in keys}),
                list({key[1] for key in keys}),
            )
        )
        known = set(self.env.cr.fetchall())
        for entry in entries:
            key = (entry["device"].id, entry["message"]["id"])
            if key in known:
                entry["state"] = "duplicate"
            known.add(key)

    @api.model
    def _insert_incoming(self, entries):
        """Insert the log rows of ``entries`` in one query, setting their ``id``; a processed
        entry whose (device, ID, time) another transaction holds gets none. Returns the ids."""
        if not entries:
            return []
        columns = {
            "device_id": ("integer", []),
            "company_id": ("integer", []),
            "topic": ("varchar", []),
            "channel": ("varchar", []),
            "message_type": ("varchar", []),
            "message_id": ("varchar", []),
            "dedup_key": ("varchar", []),
            "device_ts": ("timestamp", []),
            "state": ("varchar", []),
            "result": ("varchar", []),
            "excerpt": ("text", []),
        }
        for entry in entries:
            message = entry["message"]
            processed = entry["state"] == "processed"
            row = (
                entry["device"].id,
                entry["device"].company_id.id or None,
                entry["topic"],
                protocol.parse_topic(entry["topic"])[1],
                message.get("type"),
                message.get("id"),
                message["id"] if processed else None,
                protocol.parse_ts(message["ts"]).replace(tzinfo=None),
                entry["state"],
                None if processed else entry["result"] or None,
                self._excerpt(message),
            )
            for (_type, values), value in zip(columns.values(), row, strict=True):
                values.append(value)
        # One array a column: the query's size does not grow with the batch.
        self.env.cr.execute(
            SQL(
                "INSERT INTO %s (direction, %s, create_uid, create_date, write_uid, write_date) "
                "SELECT 'in', *, %s, now() at time zone 'UTC', %s, now() at time zone 'UTC' "
                "FROM unnest(%s) ON CONFLICT DO NOTHING RETURNING id, device_id, dedup_key",
                SQL.identifier(TABLE),
                SQL(", ").join(SQL.identifier(name) for name in columns),
                self.env.uid,
                self.env.uid,
                SQL(", ").join(
                    SQL("%s::%s[]", values, SQL(sql_type)) for sql_type, values in columns.values()
                ),
            )
        )
        rows = self.env.cr.fetchall()
        by_key = {(device_id, key): row_id for row_id, device_id, key in rows if key}
        for entry in entries:
            if entry["state"] == "processed":
                entry["id"] = by_key.get((entry["device"].id, entry["message"]["id"]))
        return [row[0] for row in rows]

    @api.model
    def _apply_entry(self, entry, superseded):
        device, message = entry["device"], entry["message"]
        log = self.browse(entry["id"]).with_company(device.company_id)
        moment = protocol.parse_ts(message["ts"]).replace(tzinfo=None)
        entry["moment"] = moment
        device._seen(moment)
        if superseded:
            entry["result"] = self.env._("Newer readings followed at once: not applied.")
            return
        entry["result"], booking = log._apply(device, entry["channel"], message, moment)
        entry["booking_id"] = booking.id if booking else None

    @api.model
    def _write_results(self, entries):
        """Write the results of the processed ``entries`` in one query."""
        if not entries:
            return
        self.flush_model()
        self.env.cr.execute(
            SQL(
                "UPDATE %s AS m SET result = v.result, booking_id = v.booking_id "
                "FROM unnest(%s::integer[], %s::timestamp[], %s::varchar[], %s::integer[]) "
                "AS v(id, device_ts, result, booking_id) "
                "WHERE m.id = v.id AND m.device_ts = v.device_ts",
                SQL.identifier(TABLE),
                [e["id"] for e in entries],
                [e["moment"] for e in entries],
                [e["result"] or None for e in entries],
                [e.get("booking_id") for e in entries],
            )
        )
        self.browse([e["id"] for e in entries]).invalidate_recordset(["result", "booking_id"])

    @api.model
    def _acceptable(self, identifier, channel, message):
        """Whether a message of a known device would be accepted (duplicates aside)."""
        Device = self.env["carshare.iot.device"].sudo()
        device = Device.browse(Device._id_by_identifier(identifier))
        return bool(device) and not self._refusal(device, identifier, channel, message)

    @api.model
    def _refusal(self, device, identifier, channel, message):
        """Why an authentic-looking message is refused, or False."""
        if message["device"] != identifier:
            return "device_mismatch"
        if not protocol.verify(message, device.secret):
            return "bad_signature"
        if channel == "event" and message["type"] not in protocol.KIND_EVENTS[device.kind]:
            return "unsupported_event"
        if channel == "telemetry" and device.kind != "telematics":
            return "unsupported_telemetry"
        moment = protocol.parse_ts(message["ts"])
        now = protocol.utcnow()
        if moment > now + protocol.MAX_CLOCK_SKEW:
            return "future_timestamp"
        # A retained status may be old: its timestamp only orders it against the others.
        if channel != "status" and moment < now - protocol.MAX_MESSAGE_AGE:
            return "stale_timestamp"
        return False

    @api.model
    def _accept(self, device, topic, channel, message, superseded=False):
        if self._is_duplicate(device, message["id"]):
            return self._log_duplicate(device, topic, message)
        moment = protocol.parse_ts(message["ts"]).replace(tzinfo=None)
        try:
            with self.env.cr.savepoint():
                log = self._log_incoming(
                    device, topic, message, "processed", dedup_key=message["id"]
                )
                device._seen(moment)
                if superseded:
                    log.result = self.env._("Newer readings followed at once: not applied.")
                    return log
                result, booking = log._apply(device, channel, message, moment)
                log.write({"result": result, "booking_id": booking.id if booking else False})
                return log
        except psycopg2.errors.UniqueViolation:
            # Another bridge got the same message at the same moment.
            return self._log_duplicate(device, topic, message)
        except (UserError, ValidationError) as error:
            # What the message did is rolled back; it stays processed once, as failed.
            device._seen(moment)
            return self._log_incoming(
                device, topic, message, "failed", str(error.args[0])[:500], message["id"]
            )

    @api.model
    def _is_duplicate(self, device, message_id):
        return bool(
            self.search_count(
                [("device_id", "=", device.id), ("dedup_key", "=", message_id)], limit=1
            )
        )

    @api.model
    def _log_duplicate(self, device, topic, message):
        _logger.info("MQTT message %s of %s already processed", message["id"], device.identifier)
        return self._log_incoming(device, topic, message, "duplicate")

    def _apply(self, device, channel, message, moment):
        """(result, booking) of an accepted message, logged in ``self``."""
        data = message["data"]
        no_booking = self.env["carshare.booking"]
        if channel == "status":
            return device._on_status(data, moment), no_booking
        if channel == "telemetry":
            return device._on_telemetry(data, moment)
        if channel == "ack":
            return self._on_ack(device, data), no_booking
        return device._on_event(message["type"], data, moment)

    def _on_ack(self, device, data):
        command = self.env["carshare.iot.command"].search(
            [("message_id", "=", data["command_id"]), ("device_id", "=", device.id)], limit=1
        )
        if not command:
            return self.env._("Unknown command.")
        self.command_id = command
        if not command._acknowledge(data["status"], data.get("reason", "")):
            return self.env._("Command already answered.")
        states = dict(command._fields["state"]._description_selection(self.env))
        return self.env._("Command answered: %(state)s.", state=states[command.state])

    # -- log -------------------------------------------------------------------------------------

    @api.model
    def _log_incoming(self, device, topic, message, state, result=False, dedup_key=False):
        return self.create(
            {
                "direction": "in",
                "device_id": device.id,
                "topic": topic,
                "channel": protocol.parse_topic(topic)[1],
                "message_type": message.get("type"),
                "message_id": message.get("id"),
                "dedup_key": dedup_key,
                "device_ts": protocol.parse_ts(message["ts"]).replace(tzinfo=None),
                "state": state,
                "result": result,
                "excerpt": self._excerpt(message),
            }
        )

    @api.model
    def _log_outgoing(self, command, topic, message):
        return self.create(
            {
                "direction": "out",
                "device_id": command.device_id.id,
                "topic": topic,
                "channel": "cmd",
                "message_type": command.command_type,
                "message_id": command.message_id,
                "device_ts": command.issued_at,
                "state": "sent",
                "result": self.env._("Attempt %(attempt)s.", attempt=command.attempts),
                "excerpt": self._excerpt(message),
                "booking_id": command.booking_id.id,
                "command_id": command.id,
            }
        )

    @api.model
    def _excerpt(self, message):
        """A bounded excerpt; positions never stay in the log (GDPR)."""
        data = message.get("data")
        if isinstance(data, dict) and "position" in data:
            message = {**message, "data": {k: v for k, v in data.items() if k != "position"}}
        text = protocol.encode(message).decode()
        return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"

    @api.model
    def _retention(self):
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("carshare_iot.message_retention_days", 30)
        )
        # Forgetting a message ID sooner would let its replay through.
        return max(timedelta(days=days), protocol.MAX_MESSAGE_AGE + timedelta(days=1))

    @api.model
    def _cron_purge(self):
        """Forget the months older than the retention period (kept one month more at most):
        dropping a partition takes the same time whatever its size. Stray rows of the default
        partition (times outside the partitions) are deleted; next months' partitions made."""
        limit = fields.Datetime.now() - self._retention()
        cr = self.env.cr
        for month, name in sorted(self._partitions().items()):
            if next_month(month) <= limit.date():
                cr.execute(SQL("DROP TABLE %s", SQL.identifier(name)))
        cr.execute(
            SQL("DELETE FROM %s WHERE device_ts < %s", SQL.identifier(DEFAULT_PARTITION), limit)
        )
        self.invalidate_model()
        self._ensure_partitions()
