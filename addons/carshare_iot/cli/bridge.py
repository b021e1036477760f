"""The MQTT bridge: device messages into Odoo, the command outbox out to the devices.

Device messages are processed in batches (up to ``carshare_mqtt_batch_size`` messages, or what
arrives within ``carshare_mqtt_batch_ms`` of the first): one transaction a batch, each message in
a savepoint of its own, in their order; the batch is acknowledged to the broker only once
committed, so a crash or a lost database loses none (the broker delivers the batch again, the
message log's deduplication applies each message once).

By default one bridge is active: it holds a PostgreSQL advisory lock and only then connects to
the broker, with a persistent session and plain subscriptions, which the broker keeps across its
restarts; the other bridges wait on the lock and take over the same session (the same MQTT user
name and client id) within seconds. With ``carshare_mqtt_shared_subscriptions`` every bridge is
active under its own user name and they share the device topics through MQTT 5 shared
subscriptions (only for brokers that keep shared subscriptions across restarts); the outbox is
shared through row locks in both modes.
"""

import hashlib
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
STANDBY_POLL_SECONDS = 1.0
LOCK_CHECK_SECONDS = 1.0
DEFAULT_USERNAME = "carshare-bridge"
DEFAULT_BATCH_SIZE = 200
DEFAULT_BATCH_MS = 10


def batch_size():
    """Messages a batch at most (``carshare_mqtt_batch_size``; 1: one transaction each)."""
    return max(1, int(config.get("carshare_mqtt_batch_size") or DEFAULT_BATCH_SIZE))


def superseded_telemetry(received, acceptable):
    """Indexes of the telemetry messages of ``received`` ((topic, (identifier, channel,
    message)) in their order) that a later telemetry of the same device supersedes: readings
    without a trip trigger, followed by newer readings of the device (of every value it read,
    ``acceptable(identifier, channel, message)``: authentic and in time) with no event of any
    device and no other message of this device in between: only the newest of such a run is
    applied."""
    superseded = set()
    pending = {}  # identifier: index of its last telemetry not yet followed by another message
    for index, (_topic, (identifier, channel, message)) in enumerate(received):
        if channel == "event":
            pending.clear()
            continue
        if channel != "telemetry" or not acceptable(identifier, channel, message):
            pending.pop(identifier, None)
            continue
        previous = pending.get(identifier)
        if previous is not None and _supersedes(message, received[previous][1][2]):
            superseded.add(previous)
        if message["data"].get("trigger"):
            pending.pop(identifier, None)
        else:
            pending[identifier] = index
    return superseded


def _supersedes(newer, older):
    readings = older["data"].keys() - {"trigger", "position"}
    return readings <= newer["data"].keys() and protocol.parse_ts(older["ts"]) <= protocol.parse_ts(
        newer["ts"]
    )


def apply_batch(env, received):
    """Apply device messages in one transaction, in their order: at once, a few queries for the
    whole batch, or if one of them fails, one by one, each in a savepoint: the one that fails is
    rolled back alone and reaches the server log. Conflicts and a lost database abort the
    batch."""
    Message = env["carshare.iot.message"]
    superseded = superseded_telemetry(received, Message._acceptable)
    try:
        with env.cr.savepoint():
            Message._receive_batch(received, superseded)
        return True
    except (psycopg2.OperationalError, psycopg2.InterfaceError):
        raise
    except Exception as error:
        _logger.info("a message of the batch failed (%s): one by one", type(error).__name__)
    for index, (topic, parsed) in enumerate(received):
        try:
            with env.cr.savepoint():
                Message._receive_message(topic, *parsed, superseded=index in superseded)
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            raise
        except Exception:
            _logger.exception("MQTT message on %r could not be processed", topic[:120])
    return True


class Settings:
    """Broker connection, from the Odoo configuration file and the environment."""

    def __init__(self, client_id=None):
        self.host = config.get("carshare_mqtt_host") or "127.0.0.1"
        self.port = int(config.get("carshare_mqtt_port") or 1883)
        self.tls = self._flag("carshare_mqtt_tls", False)
        self.shared = self._flag("carshare_mqtt_shared_subscriptions", False)
        self.ca_file = config.get("carshare_mqtt_ca_file") or None
        self.batch_size = batch_size()
        self.batch_ms = max(0, int(config.get("carshare_mqtt_batch_ms") or DEFAULT_BATCH_MS))
        self.username = os.environ.get("CARSHARE_MQTT_USERNAME") or None
        self.password = os.environ.get("CARSHARE_MQTT_PASSWORD") or None
        # Stable across restarts, so that the broker keeps what arrives while it is down. The
        # broker makes it the user name (use_username_as_clientid): active and standby bridges
        # share one, each bridge sharing subscriptions has its own.
        default = DEFAULT_USERNAME
        if self.shared:
            default = f"{DEFAULT_USERNAME}-{socket.gethostname()}"
        self.client_id = (
            client_id or config.get("carshare_mqtt_client_id") or self.username or default
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
        self.client = None

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
        # MQTT 5: the broker keeps at most this many messages unacknowledged with the bridge. Two
        # batches: the next one arrives while the current one commits.
        properties.ReceiveMaximum = min(2 * self.settings.batch_size, 65535)
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

    def _next_batch(self, first):
        """(messages, outbox woken): ``first`` and those following it within the batch window.
        A commit that wakes the outbox closes the batch: commands wait for no batch."""
        batch = [first]
        deadline = time.monotonic() + self.settings.batch_ms / 1000
        while len(batch) < self.settings.batch_size:
            try:
                item = self.inbox.get(timeout=max(0, deadline - time.monotonic()))
            except queue.Empty:
                return batch, False
            if item is OUTBOX_WAKE:
                return batch, True
            batch.append(item)
        return batch, False

    def _handle_batch(self, messages):
        """Apply the messages in one transaction, then acknowledge them all, in their order."""
        received = []
        for message in messages:
            try:
                parsed = protocol.parse_device_message(message.topic, message.payload)
            except protocol.ProtocolError as error:
                log_refusal(message.topic, error)
            else:
                received.append((message.topic, parsed))
        if received and not self._apply(received):
            return
        for message in messages:
            self.client.ack(message.mid, message.qos)

    def _apply(self, received):
        """True once the messages are applied and committed (False: stopping before)."""
        try:
            return bool(self._in_transaction(lambda env: apply_batch(env, received)))
        except Exception:
            _logger.exception("a batch of %s MQTT messages failed: one by one", len(received))
        for one in received:
            try:
                if not self._in_transaction(lambda env, one=one: apply_batch(env, [one])):
                    return False
            except Exception:
                # A message that breaks processing is dropped rather than redelivered forever.
                _logger.exception("MQTT message on %r could not be processed", one[0][:120])
        return True

    def _send_commands(self):
        if not (self.client and self.client.is_connected()):
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

        def check(env):
            registry = env.registry.check_signaling(env.cr)
            # Resolved at the first write of a registry otherwise: while sending a command.
            return registry._field_triggers

        try:
            self._in_transaction(check)
        except Exception:
            _logger.exception("registry check failed")

    # -- active or standby ------------------------------------------------------------------------

    def _lock_key(self):
        """The advisory lock of the bridges sharing this client id: only one of them may be
        connected (the broker would throw the others out) and it owns the session."""
        digest = hashlib.sha256(f"carshare-mqtt:{self.settings.client_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    def _try_lock(self):
        """A connection holding the active bridge's advisory lock, or None (another holds it)."""
        try:
            _dbname, dsn = odoo.sql_db.connection_info_for(self.dbname)
            connection = psycopg2.connect(**dsn)
        except psycopg2.Error as error:
            _logger.warning("database %s unavailable for the bridge lock (%s)", self.dbname, error)
            return None
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", (self._lock_key(),))
                if cursor.fetchone()[0]:
                    return connection
        except psycopg2.Error as error:
            _logger.warning("bridge lock not taken (%s)", error)
        connection.close()
        return None

    @staticmethod
    def _holds_lock(connection):
        """False once the lock's connection is lost: the database has released the lock."""
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return True
        except psycopg2.Error:
            return False

    def _wait_until_active(self):
        """Standby until this bridge holds the lock; returns its connection (None: stopping)."""
        announced = False
        while not self.stopping.is_set():
            connection = self._try_lock()
            if connection:
                _logger.info("carshare MQTT bridge active (client id %s)", self.settings.client_id)
                return connection
            if not announced:
                _logger.info("carshare MQTT bridge on standby: another bridge is active")
                announced = True
            self.stopping.wait(STANDBY_POLL_SECONDS)
        return None

    def run(self):
        threading.current_thread().dbname = self.dbname
        _logger.info("carshare MQTT bridge starting on database %s", self.dbname)
        threading.Thread(target=self._listen, name="carshare-outbox-listen", daemon=True).start()
        # Load the registry first: a standby taking over is ready at once.
        self._check_signaling()
        if self.settings.shared:
            self._serve(None)
        while not self.stopping.is_set():
            lock = self._wait_until_active()
            if lock is None:
                break
            with closing(lock):
                self._serve(lock)
        _logger.info("carshare MQTT bridge stopped")

    def _serve(self, lock):
        """Connect to the broker and work until stopped or, holding ``lock``, until it is lost."""
        self.client = self._make_client()
        self._connect()
        self._check_signaling()
        _logger.info("carshare MQTT bridge ready (client id %s)", self.settings.client_id)
        next_poll = next_lock_check = 0.0
        while not self.stopping.is_set():
            if lock is not None and time.monotonic() >= next_lock_check:
                next_lock_check = time.monotonic() + LOCK_CHECK_SECONDS
                if not self._holds_lock(lock):
                    _logger.warning("lost the bridge lock with the database: standing by")
                    break
            try:
                item = self.inbox.get(timeout=OUTBOX_POLL_SECONDS)
            except queue.Empty:
                item = None
            if isinstance(item, mqtt.MQTTMessage):
                batch, woken = self._next_batch(item)
                self._handle_batch(batch)
                if woken:
                    item = OUTBOX_WAKE
            polling = time.monotonic() >= next_poll
            if polling:
                next_poll = time.monotonic() + OUTBOX_POLL_SECONDS
                self._check_signaling()
            if polling or item is OUTBOX_WAKE:
                self._send_commands()
        self.client.disconnect()
        self.client.loop_stop()
        self._drop_inbox()

    def _drop_inbox(self):
        """Messages received but not handled: unacknowledged, the broker delivers them again."""
        while True:
            try:
                self.inbox.get_nowait()
            except queue.Empty:
                return

    def stop(self, *_args):
        self.stopping.set()
