"""The MQTT bridge: device messages into Odoo, the command outbox out to the devices.

Each device message is processed in a transaction of its own and acknowledged to the broker only
once committed (or refused), so a crash or a lost database loses none. Several bridges share the
work: device topics through MQTT 5 shared subscriptions, the outbox through row locks.
"""

import logging
import os
import queue
import random
import select
import socket
import ssl
import threading
import time
from contextlib import closing

import paho.mqtt.client as mqtt
import psycopg2
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.service.model import PG_CONCURRENCY_ERRORS_TO_RETRY
from odoo.tools import SQL, config

from ..iotlib import protocol
from ..models.carshare_iot_command import OUTBOX_CHANNEL
from ..models.carshare_iot_message import log_refusal

_logger = logging.getLogger(__name__)

SESSION_EXPIRY_SECONDS = 86400
MAX_PACKET_BYTES = 65536
OUTBOX_POLL_SECONDS = 1.0
SEND_BATCH = 50
PUBLISH_TIMEOUT_SECONDS = 10
CONCURRENCY_RETRIES = 5
DATABASE_RETRY_MAX_SECONDS = 30
# Shared subscriptions are lost with a broker restart: take them again quickly.
RECONNECT_MAX_SECONDS = 2
OUTBOX_WAKE = object()


class Settings:
    """Broker connection, from the Odoo configuration file and the environment."""

    def __init__(self, client_id=None):
        self.host = config.get("carshare_mqtt_host") or "127.0.0.1"
        self.port = int(config.get("carshare_mqtt_port") or 1883)
        self.tls = self._flag("carshare_mqtt_tls", False)
        self.shared = self._flag("carshare_mqtt_shared_subscriptions", True)
        self.ca_file = config.get("carshare_mqtt_ca_file") or None
        self.username = os.environ.get("CARSHARE_MQTT_USERNAME") or None
        self.password = os.environ.get("CARSHARE_MQTT_PASSWORD") or None
        # Stable across restarts, so that the broker keeps what arrives while it is down.
        self.client_id = (
            client_id
            or config.get("carshare_mqtt_client_id")
            or f"carshare-bridge-{socket.gethostname()}"
        )

    @staticmethod
    def _flag(key, default):
        value = config.get(key)
        if value in (None, ""):
            return default
        return str(value).lower() in ("1", "true", "yes")


class Bridge:
    def __init__(self, dbname, settings):
        self.dbname = dbname
        self.settings = settings
        self.inbox = queue.Queue()
        self.stopping = threading.Event()
        self.client = self._make_client()

    # -- MQTT ------------------------------------------------------------------------------------

    def _make_client(self):
        settings = self.settings
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=settings.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        if settings.username:
            client.username_pw_set(settings.username, settings.password)
        if settings.tls:
            client.tls_set(ca_certs=settings.ca_file, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        client.reconnect_delay_set(1, RECONNECT_MAX_SECONDS)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = lambda _client, _userdata, message: self.inbox.put(message)
        return client

    def _connect(self):
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = SESSION_EXPIRY_SECONDS
        properties.MaximumPacketSize = MAX_PACKET_BYTES
        self.client.connect_async(
            self.settings.host,
            self.settings.port,
            keepalive=30,
            clean_start=False,
            properties=properties,
        )
        self.client.loop_start()

    def _on_connect(self, client, _userdata, _flags, reason_code, _properties):
        if reason_code.is_failure:
            _logger.error("MQTT broker refused the bridge: %s", reason_code)
            return
        topics = protocol.bridge_subscriptions(self.settings.shared)
        client.subscribe([(name, 1) for name in topics])
        _logger.info("connected to MQTT broker %s:%s", self.settings.host, self.settings.port)
        self.inbox.put(OUTBOX_WAKE)

    def _on_disconnect(self, _client, _userdata, _flags, reason_code, _properties):
        if not self.stopping.is_set():
            _logger.warning("lost the MQTT broker (%s), reconnecting", reason_code)

    def _publish(self, topic, payload):
        info = self.client.publish(topic, payload, qos=1)
        info.wait_for_publish(PUBLISH_TIMEOUT_SECONDS)
        if not info.is_published():
            raise ConnectionError(f"the broker did not take the command on {topic}")

    # -- database --------------------------------------------------------------------------------

    def _in_transaction(self, work):
        """Run ``work(env)`` in its own transaction; retried on conflicts and database loss."""
        conflicts = 0
        delay = 1
        while not self.stopping.is_set():
            registry = None
            try:
                registry = Registry(self.dbname)
                with registry.cursor() as cr:
                    result = work(api.Environment(cr, SUPERUSER_ID, {}))
                registry.signal_changes()
                return result
            except psycopg2.OperationalError as error:
                if registry is not None:
                    registry.reset_changes()
                if error.pgcode not in PG_CONCURRENCY_ERRORS_TO_RETRY:
                    delay = self._wait_for_database(error, delay)
                elif conflicts < CONCURRENCY_RETRIES:
                    conflicts += 1
                    time.sleep(random.uniform(0.01, 0.05 * 2**conflicts))
                else:
                    raise
            except psycopg2.InterfaceError as error:
                delay = self._wait_for_database(error, delay)
            except Exception:
                if registry is not None:
                    registry.reset_changes()
                raise
        return None

    def _wait_for_database(self, error, delay):
        _logger.warning("database %s unavailable (%s), retrying in %s s", self.dbname, error, delay)
        odoo.sql_db.close_db(self.dbname)
        self.stopping.wait(delay)
        return min(delay * 2, DATABASE_RETRY_MAX_SECONDS)

    def _listen(self):
        """Wake the main loop when a transaction commits new commands (NOTIFY)."""
        threading.current_thread().dbname = self.dbname
        while not self.stopping.is_set():
            try:
                _dbname, dsn = odoo.sql_db.connection_info_for(self.dbname)
                with closing(psycopg2.connect(**dsn)) as connection:
                    connection.autocommit = True
                    with connection.cursor() as cursor:
                        cursor.execute(SQL("LISTEN %s", SQL.identifier(OUTBOX_CHANNEL)).code)
                    self._wait_for_notifications(connection)
            except (psycopg2.Error, OSError) as error:
                _logger.warning("outbox notifications lost (%s), listening again", error)
                self.stopping.wait(2)

    def _wait_for_notifications(self, connection):
        while not self.stopping.is_set():
            if select.select([connection], [], [], OUTBOX_POLL_SECONDS)[0]:
                connection.poll()
                if connection.notifies:
                    connection.notifies.clear()
                    self.inbox.put(OUTBOX_WAKE)

    # -- work ------------------------------------------------------------------------------------

    def _handle(self, message):
        try:
            parsed = protocol.parse_device_message(message.topic, message.payload)
        except protocol.ProtocolError as error:
            log_refusal(message.topic, error)
        else:
            self._apply(message.topic, parsed)
        if not self.stopping.is_set():
            self.client.ack(message.mid, message.qos)

    def _apply(self, topic, parsed):
        def receive(env):
            env["carshare.iot.message"]._receive_message(topic, *parsed)

        try:
            self._in_transaction(receive)
        except Exception:
            # A message that breaks processing is dropped rather than redelivered forever.
            _logger.exception("MQTT message on %r could not be processed", topic[:120])

    def _send_commands(self):
        if not self.client.is_connected():
            return
        try:
            while (
                self._in_transaction(
                    lambda env: env["carshare.iot.command"]._send_due(self._publish, SEND_BATCH)
                )
                == SEND_BATCH
            ):
                pass
        except ConnectionError as error:
            _logger.warning("commands not sent: %s", error)
        except Exception:
            _logger.exception("commands not sent")

    def _check_signaling(self):
        """Follow module updates and cache invalidations made by the Odoo servers."""
        try:
            self._in_transaction(lambda env: env.registry.check_signaling(env.cr))
        except Exception:
            _logger.exception("registry check failed")

    def run(self):
        threading.current_thread().dbname = self.dbname
        _logger.info("carshare MQTT bridge starting on database %s", self.dbname)
        self._connect()
        self._check_signaling()
        _logger.info("carshare MQTT bridge ready (client id %s)", self.settings.client_id)
        threading.Thread(target=self._listen, name="carshare-outbox-listen", daemon=True).start()
        next_poll = 0.0
        while not self.stopping.is_set():
            try:
                item = self.inbox.get(timeout=OUTBOX_POLL_SECONDS)
            except queue.Empty:
                item = None
            if isinstance(item, mqtt.MQTTMessage):
                self._handle(item)
            polling = time.monotonic() >= next_poll
            if polling:
                next_poll = time.monotonic() + OUTBOX_POLL_SECONDS
                self._check_signaling()
            if polling or item is OUTBOX_WAKE:
                self._send_commands()
        self.client.disconnect()
        self.client.loop_stop()
        _logger.info("carshare MQTT bridge stopped")

    def stop(self, *_args):
        self.stopping.set()
