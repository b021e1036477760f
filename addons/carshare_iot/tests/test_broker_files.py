import base64
import os
import tempfile
from unittest.mock import patch

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import config

from ..iotlib import mosquitto
from .common import IotCase


@tagged("post_install", "-at_install")
class TestBrokerFiles(IotCase):
    def set_password(self, device):
        action = device.with_user(self.manager).action_reset_mqtt_password()
        return action["params"]["message"].split(" ", 1)[0]

    def test_device_password_is_shown_once_and_hashed(self):
        password = self.set_password(self.keybox)
        self.assertGreaterEqual(len(password), 32)
        stored = self.keybox.mqtt_password_hash
        self.assertTrue(mosquitto.check_password(password, stored))
        self.assertNotIn(password, stored)
        self.assertNotIn(password, "".join(self.keybox.message_ids.mapped("body")))
        self.assertTrue(self.keybox.has_mqtt_password)
        with self.assertRaisesRegex(UserError, "Only carsharing managers"):
            self.keybox.with_user(self.desk_user).action_reset_mqtt_password()

    def test_password_file_and_acl(self):
        password = self.set_password(self.keybox)
        self.set_password(self.immobiliser)
        wizard = self.env["carshare.iot.broker.wizard"].with_user(self.manager).create({})
        action = wizard.action_new_bridge_password()
        bridge_password = action["params"]["message"].split(" ", 1)[0]
        wizard.action_generate()
        passwd = base64.b64decode(wizard.passwd_file).decode()
        entries = dict(line.split(":", 1) for line in passwd.splitlines())
        self.assertTrue(mosquitto.check_password(password, entries["test-keybox"]))
        self.assertTrue(mosquitto.check_password(bridge_password, entries["carshare-bridge"]))
        self.assertIn("test-immo", entries)
        self.assertNotIn("test-tele", entries, "no password yet: cannot connect")
        acl = base64.b64decode(wizard.acl_file).decode()
        self.assertIn("user carshare-bridge\ntopic readwrite carshare/v1/#\n", acl)
        self.assertIn(
            "user test-keybox\n"
            "topic read carshare/v1/test-keybox/cmd\n"
            "topic write carshare/v1/test-keybox/ack\n"
            "topic write carshare/v1/test-keybox/event\n"
            "topic write carshare/v1/test-keybox/telemetry\n"
            "topic write carshare/v1/test-keybox/status\n",
            acl,
        )
        self.assertNotIn("#", acl.replace("carshare/v1/#", ""), "devices get no wildcard")
        self.assertFalse(wizard.written)

    def test_each_bridge_user_has_its_password(self):
        wizard = self.env["carshare.iot.broker.wizard"].with_user(self.manager)
        first = wizard.create({}).action_new_bridge_password()["params"]["message"]
        second_wizard = wizard.create({"bridge_username": "carshare-bridge-2"})
        self.assertFalse(second_wizard.has_bridge_password)
        second = second_wizard.action_new_bridge_password()["params"]["message"]
        self.assertTrue(second_wizard.has_bridge_password)
        passwd, acl = self.env["carshare.iot.device"]._mosquitto_files()
        entries = dict(line.split(":", 1) for line in passwd.splitlines())
        self.assertTrue(mosquitto.check_password(first.split()[0], entries["carshare-bridge"]))
        self.assertTrue(mosquitto.check_password(second.split()[0], entries["carshare-bridge-2"]))
        self.assertIn("user carshare-bridge-2\ntopic readwrite carshare/v1/#\n", acl)
        for wrong in ("test-keybox", "carshare-bridge/2", "carshare-bridge 2"):
            with self.assertRaisesRegex(ValidationError, "starts with carshare-bridge"):
                wizard.create({"bridge_username": wrong})

    def test_files_written_to_the_broker_folder(self):
        self.set_password(self.keybox)
        with (
            tempfile.TemporaryDirectory() as folder,
            patch.dict(config.options, {"carshare_mqtt_auth_dir": folder}),
        ):
            wizard = self.env["carshare.iot.broker.wizard"].with_user(self.manager).create({})
            wizard.action_generate()
            self.assertTrue(wizard.written)
            with open(os.path.join(folder, "passwd")) as passwd:
                self.assertIn("test-keybox:$7$101$", passwd.read())
            with open(os.path.join(folder, "acl")) as acl:
                self.assertIn("user test-keybox\n", acl.read())
            with open(os.path.join(folder, "carshare.conf")) as limits:
                self.assertIn("max_inflight_messages 400\n", limits.read(), "two batches of 200")
            self.assertEqual(sorted(os.listdir(folder)), ["acl", "carshare.conf", "passwd"])

    def test_archived_devices_are_locked_out(self):
        self.set_password(self.keybox)
        self.keybox.active = False
        passwd, acl = self.env["carshare.iot.device"]._mosquitto_files()
        self.assertNotIn("test-keybox:", passwd)
        self.assertNotIn("user test-keybox\n", acl)
