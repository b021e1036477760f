"""Mosquitto 2 password file entries and ACL blocks."""

import base64
import hashlib
import hmac
import os

from . import protocol

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
