"""Mosquitto 2 password file entries, ACL blocks and the limits the bridge's batches need."""

import base64
import hashlib
import hmac
import os

from . import protocol

# Messages a client may have waiting beyond those in flight: four minutes of a national fleet's
# telemetry (about 400 messages a second) while the bridges fail over or restart.
QUEUED_MESSAGES = 100000

# What mosquitto_passwd 2.0 writes: $7$ = PBKDF2-SHA512, 101 iterations, 12-byte salt.
PBKDF2_ITERATIONS = 101
SALT_BYTES = 12


def password_hash(password, salt=None, iterations=PBKDF2_ITERATIONS):
    salt = salt or os.urandom(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def check_password(password, hashed):
    _empty, algorithm, iterations, salt, _digest = hashed.split("$")
    if algorithm != "7":
        return False
    expected = password_hash(password, base64.b64decode(salt), int(iterations))
    return hmac.compare_digest(expected, hashed)


def password_file(entries):
    """Lines ``user:hash`` of {user: hash}, sorted."""
    return "".join(f"{user}:{hashed}\n" for user, hashed in sorted(entries.items()))


def acl_file(bridge_usernames, identifiers):
    """The bridges read and write every device topic; each device only its own."""
    root = protocol.TOPIC_ROOT
    blocks = [f"user {name}\ntopic readwrite {root}/#\n" for name in sorted(bridge_usernames)]
    for identifier in sorted(identifiers):
        lines = [f"user {identifier}", f"topic read {protocol.topic(identifier, 'cmd')}"]
        lines += [
            f"topic write {protocol.topic(identifier, channel)}"
            for channel in protocol.DEVICE_CHANNELS
        ]
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def limits_file(batch_size):
    """Mosquitto settings (read through ``include_dir``) that let a bridge batch fill: two
    batches in flight unacknowledged, the next arriving while one commits (MQTT 5 clients such
    as the bridge also ask for it in their CONNECT), and queues deep enough for a failover."""
    return (
        f"# Written by Odoo (carshare_iot) for bridge batches of {batch_size} messages.\n"
        f"max_inflight_messages {2 * batch_size}\n"
        f"max_queued_messages {QUEUED_MESSAGES}\n"
    )
