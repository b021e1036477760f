import base64
import os
import re
import secrets

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import config

from ..cli.bridge import batch_size
from ..iotlib import mosquitto, protocol
from ..models.carshare_iot_device import BRIDGE_USERNAME


class CarshareIotBrokerWizard(models.TransientModel):
    _name = "carshare.iot.broker.wizard"
    _description = "Broker Credentials and ACL"

    bridge_username = fields.Char(
        required=True,
        default=BRIDGE_USERNAME,
        help="MQTT user of the bridge (CARSHARE_MQTT_USERNAME where it runs), also its client "
        "id at the broker: one for the active bridge and its standbys, one more for each bridge "
        "sharing subscriptions.",
    )
    has_bridge_password = fields.Boolean(compute="_compute_has_bridge_password")
    auth_dir = fields.Char(
        string="Broker Folder",
        compute="_compute_auth_dir",
        help="Where the files are written: the carshare_mqtt_auth_dir key of the Odoo "
        "configuration file. Without it, download them.",
    )
    passwd_file = fields.Binary(string="Password File", readonly=True, attachment=False)
    passwd_filename = fields.Char(default="passwd")
    acl_file = fields.Binary(string="ACL File", readonly=True, attachment=False)
    acl_filename = fields.Char(default="acl")
    limits_file = fields.Binary(
        string="Broker Limits File",
        readonly=True,
        attachment=False,
        help="Messages in flight and queued per client, for the bridge's batches "
        "(carshare_mqtt_batch_size): the broker reads it with include_dir.",
    )
    limits_filename = fields.Char(default="carshare.conf")
    written = fields.Boolean(readonly=True)

    @api.depends("bridge_username")
    def _compute_has_bridge_password(self):
        hashes = self.env["carshare.iot.device"]._bridge_password_hashes()
        for wizard in self:
            wizard.has_bridge_password = wizard.bridge_username in hashes

    @api.constrains("bridge_username")
    def _check_bridge_username(self):
        for wizard in self:
            name = wizard.bridge_username or ""
            if not (
                re.fullmatch(protocol.IDENTIFIER_PATTERN, name) and name.startswith(BRIDGE_USERNAME)
            ):
                raise ValidationError(
                    self.env._(
                        "A bridge's user name starts with %(prefix)s, followed by letters, "
                        "digits, - or _ (e.g. %(prefix)s-2): device identifiers never do.",
                        prefix=BRIDGE_USERNAME,
                    )
                )

    @api.depends_context("uid")
    def _compute_auth_dir(self):
        for wizard in self:
            wizard.auth_dir = config.get("carshare_mqtt_auth_dir") or False

    def action_generate(self):
        """Build the password file and the ACL from the devices, write them to the broker."""
        self.env["carshare.iot.device"]._check_manager()
        self.ensure_one()
        passwd, acl = self.env["carshare.iot.device"]._mosquitto_files(self.bridge_username)
        limits = mosquitto.limits_file(batch_size())
        self.write(
            {
                "passwd_file": base64.b64encode(passwd.encode()),
                "acl_file": base64.b64encode(acl.encode()),
                "limits_file": base64.b64encode(limits.encode()),
                "written": bool(self.auth_dir),
            }
        )
        if self.auth_dir:
            self._write_auth_file("passwd", passwd)
            self._write_auth_file("acl", acl)
            self._write_auth_file(self.limits_filename, limits)
        return self._reopen()

    def _write_auth_file(self, name, content):
        path = os.path.join(self.auth_dir, name)
        temporary = f"{path}.tmp"
        with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640), "w") as out:
            out.write(content)
        os.replace(temporary, path)

    def action_new_bridge_password(self):
        """A new password for the bridge, shown once; only its hash is stored."""
        self.env["carshare.iot.device"]._check_manager()
        self.ensure_one()
        password = secrets.token_urlsafe(24)
        self.env["carshare.iot.device"]._set_bridge_password_hash(
            self.bridge_username, mosquitto.password_hash(password)
        )
        self.invalidate_recordset(["has_bridge_password"])
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("MQTT password of %(user)s", user=self.bridge_username),
                "message": self.env._(
                    "%(password)s - set it as CARSHARE_MQTT_PASSWORD where the bridge runs: "
                    "it is not shown again. Then generate the files.",
                    password=password,
                ),
                "sticky": True,
                "type": "warning",
                "next": self._reopen(),
            },
        }

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
