"""Issue 18: the message log is partitioned by month of the device's time; the retention drops
whole months, deduplication holds across partitions, the ORM reads the log as before."""

from datetime import date, datetime

import psycopg2

from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from ..iotlib import protocol
from .common import IotCase


@tagged("post_install", "-at_install")
class TestMessageLog(IotCase):
    def setUp(self):
        super().setUp()
        self.Message = self.env["carshare.iot.message"]

    def log(self, moment, **values):
        return self.Message.create(
            {
                "direction": "in",
                "device_id": self.keybox.id,
                "channel": "event",
                "message_id": protocol.new_id(),
                "device_ts": moment,
                "state": "processed",
                **values,
            }
        )

    def partition_of(self, log):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT tableoid::regclass::text FROM carshare_iot_message WHERE id = %s", [log.id]
        )
        return self.env.cr.fetchone()[0]

    def exists(self, table):
        self.env.cr.execute("SELECT to_regclass(%s)", [table])
        return bool(self.env.cr.fetchone()[0])

    def test_retention_drops_whole_months(self):
        self.env["ir.config_parameter"].set_param("carshare_iot.message_retention_days", 30)
        with freeze_time("2030-03-20 10:00:00"):
            self.Message._ensure_partitions(date(2029, 12, 1))
            for month in ("2030-04", "2030-05"):
                self.assertTrue(self.exists(f"carshare_iot_message_y{month.replace('-', 'm')}"))
            december, january, february, march = (
                self.log(datetime(year, month, 15))
                for year, month in ((2029, 12), (2030, 1), (2030, 2), (2030, 3))
            )
            stray_old = self.log(datetime(1999, 1, 1))
            stray_future = self.log(datetime(2031, 1, 1))
            self.assertEqual(self.partition_of(february), "carshare_iot_message_y2030m02")
            self.assertEqual(self.partition_of(stray_old), "carshare_iot_message_default")
            self.Message._cron_purge()
            # 30 days before 20 March 10:00 is 18 February: December and January end before.
            self.assertFalse(self.exists("carshare_iot_message_y2029m12"))
            self.assertFalse(self.exists("carshare_iot_message_y2030m01"))
            self.assertTrue(self.exists("carshare_iot_message_y2030m02"))
        ours = december | january | february | march | stray_old | stray_future
        self.assertEqual(
            self.Message.search([("id", "in", ours.ids)]), stray_future | march | february
        )
        self.assertEqual(
            self.keybox.iot_message_count,
            self.Message.search_count([("device_id", "=", self.keybox.id)]),
        )

    def test_partitions_made_later_take_their_rows_from_the_default(self):
        with freeze_time("2030-03-20 10:00:00"):
            self.Message._ensure_partitions()
            june = self.log(datetime(2030, 6, 10))
            self.assertEqual(self.partition_of(june), "carshare_iot_message_default")
        with freeze_time("2030-04-02 10:00:00"):
            self.Message._ensure_partitions()
        self.assertEqual(self.partition_of(june), "carshare_iot_message_y2030m06")
        self.assertEqual(self.Message.search([("id", "=", june.id)]).device_ts, june.device_ts)

    def test_deduplication_holds_across_partitions(self):
        with freeze_time("2030-03-01 00:02:00"):
            self.Message._ensure_partitions(date(2030, 2, 1))
            # Sent a minute before midnight, in February's partition, delivered twice in March.
            signed = protocol.sign(
                protocol.device_message(
                    self.keybox.identifier,
                    "door.opened",
                    {"door": "keybox"},
                    ts=datetime(2030, 2, 28, 23, 59),
                ),
                self.keybox.secret,
            )
            topic = protocol.topic(self.keybox.identifier, "event")
            first = self.Message._receive(topic, protocol.encode(signed))
            again = self.Message._receive(topic, protocol.encode(signed))
        self.assertEqual((first.state, again.state), ("processed", "duplicate"))
        self.assertEqual(self.partition_of(first), "carshare_iot_message_y2030m02")
        with (
            self.assertRaises(psycopg2.errors.UniqueViolation),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.log(first.device_ts, message_id=signed["id"], dedup_key=signed["id"])
