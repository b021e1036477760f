from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, new_test_user, tagged

from ..iotlib import protocol
from .common import IotCase


class Crash(Exception):
    pass


@tagged("post_install", "-at_install")
class TestOutbox(IotCase):
    def test_confirm_writes_commands_in_the_same_transaction(self):
        booking = self.make_booking()
        with self.assertRaises(Crash), self.env.cr.savepoint():
            booking.action_confirm()
            self.assertEqual(len(self.commands(booking)), 3)
            raise Crash
        self.env.invalidate_all()
        self.assertEqual(booking.state, "draft")
        self.assertFalse(self.commands(booking), "rolled back with the confirmation")

        booking.action_confirm()
        window = {
            "booking": booking.name,
            "valid_from": protocol.format_ts(booking.access_valid_from),
            "valid_until": protocol.format_ts(booking.access_valid_until),
        }
        code = {"code": booking.access_code, **window}
        self.assertRecordValues(
            self.commands(booking),
            [
                {
                    "device_id": self.immobiliser.id,
                    "command_type": "code.push",
                    "params": code,
                    "state": "pending",
                    "expires_at": booking.access_valid_until,
                },
                {
                    "device_id": self.keybox.id,
                    "command_type": "code.push",
                    "params": {**code, "slot": "A1"},
                    "state": "pending",
                    "expires_at": booking.access_valid_until,
                },
                {
                    "device_id": self.telematics.id,
                    "command_type": "badge.authorise",
                    "params": {"badge": "04A224B1", **window},
                    "state": "pending",
                    "expires_at": booking.access_valid_until,
                },
            ],
        )

    def test_cancel_revokes_and_replaces_unsent_pushes(self):
        booking = self.confirmed_booking()
        pushes = self.commands(booking)
        pushes[0]._acknowledge("ok", "")
        booking.action_cancel()
        self.assertEqual(pushes.mapped("state"), ["acked", "superseded", "superseded"])
        revokes = self.commands(booking) - pushes
        self.assertRecordValues(
            revokes,
            [
                {
                    "device_id": self.immobiliser.id,
                    "command_type": "code.revoke",
                    "params": {"code": booking.access_code, "booking": booking.name},
                },
                {
                    "device_id": self.keybox.id,
                    "command_type": "code.revoke",
                    "params": {"code": booking.access_code, "booking": booking.name},
                },
                {
                    "device_id": self.telematics.id,
                    "command_type": "badge.revoke",
                    "params": {"badge": "04A224B1", "booking": booking.name},
                },
            ],
        )

    def test_transfer_moves_the_grants(self):
        booking = self.confirmed_booking(start=self.at(1, 30))
        pushes = self.commands(booking)
        self.assertTrue(booking._transfer("battery"))
        self.assertEqual(booking.vehicle_id, self.car_2)
        moved = self.commands(booking) - pushes
        self.assertEqual(
            [(c.device_id, c.command_type) for c in moved],
            [
                (self.immobiliser, "code.revoke"),
                (self.telematics, "badge.revoke"),
                (self.keybox, "code.push"),
            ],
        )
        self.assertEqual(moved[2].params["slot"], "A2", "the key of the new vehicle")
        self.assertEqual(pushes[1].state, "superseded")

    def test_vehicle_at_another_station(self):
        far_car = self.create_vehicle(
            "CS-009-AA", self.other_station, carshare_keybox_slot="B1", carshare_range_km=300
        )
        booking = self.confirmed_booking()
        old_code = booking.access_code
        booking.write(
            {"vehicle_id": far_car.id, "station_id": self.other_station.id, "access_code": False}
        )
        self.assertEqual(
            self.commands(booking, device_id=self.keybox.id, command_type="code.revoke").params,
            {"code": old_code, "booking": booking.name},
        )
        self.assertFalse(self.commands(booking, device_id=self.other_keybox.id))
        booking.access_code = "424242"
        self.assertRecordValues(
            self.commands(booking, device_id=self.other_keybox.id),
            [
                {
                    "command_type": "code.push",
                    "params": {
                        "code": "424242",
                        "slot": "B1",
                        "booking": booking.name,
                        "valid_from": protocol.format_ts(booking.access_valid_from),
                        "valid_until": protocol.format_ts(booking.access_valid_until),
                    },
                }
            ],
        )

    def test_start_disarms_return_arms(self):
        booking = self.confirmed_booking()
        with freeze_time(self.at(2)):
            booking.action_start()
            disarm = self.commands(booking, command_type="immobiliser.disarm")
            self.assertEqual(disarm.device_id, self.immobiliser)
        with freeze_time(self.at(4)):
            booking.action_return(odometer=1042)
            arm = self.commands(booking, command_type="immobiliser.arm")
            self.assertEqual(arm.device_id, self.immobiliser)
            self.assertEqual(disarm.state, "superseded")
            self.assertGreater(arm.expires_at, self.at(4) + timedelta(days=6))
            revoked = self.commands(booking, command_type="code.revoke")
            self.assertEqual(revoked.device_id, self.keybox | self.immobiliser)

    def test_send_due_signs_and_backs_off(self):
        booking = self.confirmed_booking()
        sent = []
        Command = self.env["carshare.iot.command"]
        Command._send_due(lambda topic, payload: sent.append((topic, payload)))
        sent = [(topic, payload) for topic, payload in sent if "/test-" in topic]
        self.assertEqual(
            [topic for topic, _payload in sent],
            [f"carshare/v1/{name}/cmd" for name in ("test-immo", "test-keybox", "test-tele")],
        )
        topic, payload = sent[1]
        command = protocol.validate_command(protocol.decode(payload))
        self.assertTrue(protocol.verify(command, self.keybox.secret))
        self.assertEqual(command["params"]["code"], booking.access_code)
        pushed = self.commands(booking, device_id=self.keybox.id)
        self.assertRecordValues(pushed, [{"state": "sent", "attempts": 1}])
        self.assertEqual(pushed.next_attempt_at, self.at(0) + timedelta(seconds=5))
        self.assertEqual(
            self.env["carshare.iot.message"].search_count(
                [("command_id", "in", self.commands(booking).ids), ("direction", "=", "out")]
            ),
            3,
        )
        self.assertEqual(Command._send_due(self.fail), 0, "not due yet")
        with freeze_time(self.at(0, 1)):
            Command._send_due(lambda topic, payload: sent.append((topic, payload)))
        self.assertEqual(pushed.attempts, 2)
        self.assertEqual(pushed.next_attempt_at, self.at(0, 1) + timedelta(seconds=10))
        resent = [payload for topic, payload in sent[3:] if topic == "carshare/v1/test-keybox/cmd"]
        self.assertEqual(
            [protocol.decode(payload) for payload in resent], [command], "resent as it was"
        )

    def test_expired_commands_are_not_sent(self):
        booking = self.confirmed_booking()
        with freeze_time(booking.access_valid_until + timedelta(seconds=1)):
            self.env["carshare.iot.command"]._send_due(self.fail)
        self.assertEqual(set(self.commands(booking).mapped("state")), {"expired"})

    def test_failed_publish_keeps_commands_due(self):
        booking = self.confirmed_booking()

        def broker_down(_topic, _payload):
            raise ConnectionError("broker down")

        with self.assertRaises(ConnectionError), self.env.cr.savepoint():
            self.env["carshare.iot.command"]._send_due(broker_down)
        self.env.invalidate_all()
        self.assertEqual(set(self.commands(booking).mapped("state")), {"pending"})

    def test_ack_closes_the_command(self):
        booking = self.confirmed_booking()
        push = self.commands(booking, device_id=self.keybox.id)
        log, _message = self.receive(
            self.keybox, "ack", {"command_id": push.message_id, "status": "ok"}
        )
        self.assertEqual(push.state, "acked")
        self.assertRecordValues(log, [{"state": "processed", "command_id": push.id}])
        log, _message = self.receive(
            self.keybox, "ack", {"command_id": push.message_id, "status": "refused"}
        )
        self.assertEqual(log.result, "Command already answered.")
        self.assertEqual(push.state, "acked")
        log, _message = self.receive(
            self.immobiliser, "ack", {"command_id": push.message_id, "status": "ok"}
        )
        self.assertEqual(log.result, "Unknown command.", "another device's command")
        refused = self.commands(booking, device_id=self.immobiliser.id)
        self.receive(
            self.immobiliser,
            "ack",
            {"command_id": refused.message_id, "status": "refused", "reason": "memory full"},
        )
        self.assertRecordValues(refused, [{"state": "refused", "result": "memory full"}])

    def test_new_device_gets_the_active_codes(self):
        booking = self.confirmed_booking()
        box = self.env["carshare.iot.device"].create(
            {
                "name": "New box",
                "identifier": "test-keybox-3",
                "kind": "keybox",
                "station_id": self.station.id,
            }
        )
        self.assertEqual(
            self.commands(booking, device_id=box.id).params["code"], booking.access_code
        )

    def test_manual_commands(self):
        with self.assertRaisesRegex(UserError, "Only carsharing managers"):
            self.keybox.with_user(self.desk_user).action_unlock()
        self.keybox.with_user(self.manager).action_unlock()
        unlock = self.commands(device_id=self.keybox.id, command_type="unlock")
        self.assertEqual(unlock.expires_at, self.at(1))
        with self.assertRaisesRegex(UserError, "do not take this command"):
            self.keybox.with_user(self.manager).action_arm()
        self.immobiliser.with_user(self.manager).action_disarm()
        self.immobiliser.with_user(self.manager).action_arm()
        self.assertEqual(
            self.commands(device_id=self.immobiliser.id).mapped("state"),
            ["superseded", "pending"],
        )

    def test_driver_unlocks_in_access_window(self):
        booking = self.confirmed_booking(start=self.at(2))
        driver_user = new_test_user(
            self.env, "cs_agent_portal", groups="base.group_portal", partner_id=self.agent.id
        )
        other_user = new_test_user(self.env, "cs_other_portal", groups="base.group_portal")
        with self.assertRaisesRegex(UserError, "access window"):
            booking.with_user(driver_user).sudo().action_iot_unlock()
        with freeze_time(booking.access_valid_from + timedelta(minutes=1)):
            with self.assertRaisesRegex(UserError, "Only the driver"):
                booking.with_user(other_user).sudo().action_iot_unlock()
            self.assertFalse(self.commands(booking, command_type="unlock"))
            booking.with_user(driver_user).sudo().action_iot_unlock()
            unlocks = self.commands(booking, command_type="unlock")
            self.assertEqual(unlocks.device_id, self.keybox | self.telematics)
            keybox_unlock = unlocks.filtered(lambda c: c.device_id == self.keybox)
            self.assertEqual(keybox_unlock.params, {"slot": "A1"})
            # Pressed twice: the second request replaces the first.
            booking.with_user(driver_user).sudo().action_iot_unlock()
            self.assertEqual(
                self.commands(booking, command_type="unlock").mapped("state"),
                ["superseded", "superseded", "pending", "pending"],
            )
        self.car_2.carshare_station_id = self.create_station("No box", "NOBOX")
        bare = self.confirmed_booking(start=self.at(30), vehicle_id=self.car_2.id)
        with (
            freeze_time(bare.access_valid_from + timedelta(minutes=1)),
            self.assertRaisesRegex(UserError, "no connected box"),
        ):
            bare.with_user(self.manager).action_iot_unlock()

    def test_retry_and_cancel(self):
        booking = self.confirmed_booking()
        push = self.commands(booking)[0]
        with freeze_time(booking.access_valid_until + timedelta(seconds=1)):
            self.env["carshare.iot.command"]._send_due(self.fail)
            self.assertEqual(push.state, "expired")
            push.with_user(self.manager).action_retry()
            self.assertEqual(push.state, "pending")
            self.assertGreater(push.expires_at, booking.access_valid_until)
        push.with_user(self.manager).action_cancel()
        self.assertEqual(push.state, "superseded")
        with self.assertRaisesRegex(UserError, "not sent again"):
            push.action_retry()

    def test_secret_is_for_managers(self):
        device = self.keybox.with_user(self.desk_user)
        self.assertEqual(device.name, "Key box")
        with self.assertRaises(AccessError):
            device.read(["secret"])
        self.assertEqual(len(self.keybox.with_user(self.manager).secret), 64)
