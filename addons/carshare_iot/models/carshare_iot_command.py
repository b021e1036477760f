from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.carshare_fleet.access import MANAGER_GROUP, check_groups

from ..iotlib import protocol

OUTBOX_CHANNEL = "carshare_iot_outbox"
OPEN_STATES = ("pending", "sent")
ACK_STATES = {"ok": "acked", "refused": "refused", "expired": "expired"}


class CarshareIotCommand(models.Model):
    _name = "carshare.iot.command"
    _description = "IoT Command (Outbox)"
    _order = "id desc"
    _rec_name = "message_id"

    message_id = fields.Char(
        string="Command ID",
        required=True,
        readonly=True,
        copy=False,
        default=lambda self: protocol.new_id(),
    )
    device_id = fields.Many2one(
        "carshare.iot.device", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="device_id.company_id", store=True, index=True)
    command_type = fields.Selection(
        [
            ("code.push", "Push Code"),
            ("code.revoke", "Revoke Code"),
            ("unlock", "Unlock"),
            ("lock", "Lock"),
            ("immobiliser.arm", "Arm Immobiliser"),
            ("immobiliser.disarm", "Disarm Immobiliser"),
            ("badge.authorise", "Authorise Badge"),
            ("badge.revoke", "Revoke Badge"),
        ],
        string="Command",
        required=True,
        readonly=True,
    )
    params = fields.Json(string="Parameters", readonly=True)
    params_text = fields.Text(string="Parameters (JSON)", compute="_compute_params_text")
    booking_id = fields.Many2one(
        "carshare.booking", readonly=True, index="btree_not_null", ondelete="set null"
    )
    supersede_key = fields.Char(
        readonly=True,
        help="A newer command with the same key for the same device replaces this one "
        "while it is not acknowledged.",
    )
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("sent", "Sent"),
            ("acked", "Acknowledged"),
            ("refused", "Refused"),
            ("expired", "Expired"),
            ("superseded", "Superseded"),
        ],
        required=True,
        default="pending",
        readonly=True,
        index=True,
    )
    issued_at = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    expires_at = fields.Datetime(required=True, readonly=True)
    next_attempt_at = fields.Datetime(
        required=True, readonly=True, default=fields.Datetime.now, index=True
    )
    attempts = fields.Integer(readonly=True)
    sent_at = fields.Datetime(string="Last Sent On", readonly=True)
    acked_at = fields.Datetime(string="Answered On", readonly=True)
    result = fields.Char(readonly=True, help="The device's reason when it refused the command.")

    _sql_constraints = [
        ("message_id_uniq", "unique(message_id)", "A command ID is unique."),
    ]

    @api.depends("params")
    def _compute_params_text(self):
        for command in self:
            command.params_text = protocol.encode(command.params or {}).decode()

    @api.model_create_multi
    def create(self, vals_list):
        commands = super().create(vals_list)
        # Delivered to the listening bridges at commit only, with the commands.
        self.env.cr.execute(SQL("NOTIFY %s", SQL.identifier(OUTBOX_CHANNEL)))
        return commands

    # -- outbox (the bridge) ---------------------------------------------------------------------

    @api.model
    def _send_due(self, publish, limit=50):
        """Publish the commands due, claimed so that parallel bridges skip each other's.

        ``publish(topic, payload)`` returns once the broker has the message and raises when it
        cannot: the transaction is then rolled back and the commands stay due.
        """
        now = fields.Datetime.now()
        self.flush_model(["state", "next_attempt_at"])
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM carshare_iot_command
                 WHERE state IN %s AND next_attempt_at <= %s
                 ORDER BY next_attempt_at, id
                 LIMIT %s
                 FOR UPDATE SKIP LOCKED
                """,
                OPEN_STATES,
                now,
                limit,
            )
        )
        commands = self.browse(row[0] for row in self.env.cr.fetchall())
        expired = commands.filtered(lambda c: c.expires_at <= now)
        expired.write({"state": "expired"})
        for command in (commands - expired).sorted("id"):
            command._publish(publish, now)
        return len(commands)

    def _publish(self, publish, now):
        topic = protocol.topic(self.device_id.identifier, "cmd")
        message = protocol.sign(self._message(), self.device_id.sudo().secret)
        publish(topic, protocol.encode(message))
        attempts = self.attempts + 1
        self.write(
            {
                "state": "sent",
                "attempts": attempts,
                "sent_at": now,
                "next_attempt_at": now + self._retry_delay(attempts),
            }
        )
        self.env["carshare.iot.message"]._log_outgoing(self, topic, message)

    def _message(self):
        return protocol.command(
            self.device_id.identifier,
            self.command_type,
            self.params or {},
            self.expires_at,
            ts=self.issued_at,
            message_id=self.message_id,
        )

    def _retry_delay(self, attempts):
        """Exponential backoff between attempts while no acknowledgement comes."""
        get_param = self.env["ir.config_parameter"].sudo().get_param
        base = int(get_param("carshare_iot.retry_delay_seconds", 5))
        ceiling = int(get_param("carshare_iot.retry_max_delay_seconds", 300))
        return timedelta(seconds=min(base * 2 ** (attempts - 1), ceiling))

    def _acknowledge(self, status, reason):
        """Record the device's answer; False when it answers nothing open."""
        if self.state not in (*OPEN_STATES, "superseded"):
            return False
        self.write(
            {"state": ACK_STATES[status], "acked_at": fields.Datetime.now(), "result": reason}
        )
        return True

    # -- manager actions -------------------------------------------------------------------------

    def action_retry(self):
        """Managers: send again now, giving the command a new lease when it had expired."""
        check_groups(self.env, MANAGER_GROUP)
        for command in self:
            if command.state in ("acked", "superseded"):
                raise UserError(
                    self.env._(
                        "Command %(command)s was acknowledged or replaced: it is not sent again.",
                        command=command.message_id,
                    )
                )
        now = fields.Datetime.now()
        self.write({"state": "pending", "next_attempt_at": now})
        for command in self.filtered(lambda c: c.expires_at <= now):
            command.expires_at = now + command.device_id._command_ttl()
        return True

    def action_cancel(self):
        """Managers: stop sending the open commands."""
        check_groups(self.env, MANAGER_GROUP)
        self.filtered(lambda c: c.state in OPEN_STATES).write({"state": "superseded"})
        return True

    @api.model
    def _cron_purge(self):
        """Forget answered commands after the retention period of the message log."""
        limit = fields.Datetime.now() - self.env["carshare.iot.message"]._retention()
        self.search([("state", "not in", OPEN_STATES), ("create_date", "<", limit)]).unlink()
