"""docs/iot-protocol.md publishes the JSON schemas the bridge and the simulator enforce.

python tests/test_iot_protocol.py     # prints the schema section of the document
"""

import json
import os
import re
import sys
from datetime import timedelta

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "addons", "carshare_iot"))

from iotlib import protocol
from iotlib.simulator import Device

DOC = os.path.join(ROOT, "docs", "iot-protocol.md")
BLOCK = re.compile(r"^### ([^\n]+)\n\n```json\n(.*?)\n```", re.M | re.S)
EXAMPLE = re.compile(r"^Example \(([a-z]+)\):\n\n```json\n(.*?)\n```", re.M | re.S)


def compact(value, indent=0):
    """JSON with short objects and lists on one line."""
    text = json.dumps(value, ensure_ascii=False)
    if len(text) + indent <= 96 or not isinstance(value, dict | list):
        return text
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(k)}: {compact(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + compact(v, indent + 2) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def schema_section():
    return "\n".join(
        f"### {title}\n\n```json\n{compact(schema)}\n```\n"
        for title, schema in protocol.json_schemas().items()
    )


def test_documented_schemas_are_the_enforced_ones():
    with open(DOC, encoding="utf-8") as doc:
        documented = {title: json.loads(body) for title, body in BLOCK.findall(doc.read())}
    assert documented == protocol.json_schemas()


def test_documented_examples_are_valid():
    """Every example of the document passes the checks a device or the bridge applies."""
    with open(DOC, encoding="utf-8") as doc:
        examples = re.findall(
            r"^Example \(([a-z]+)\):\n\n```json\n(.*?)\n```", doc.read(), re.M | re.S
        )
    assert len(examples) >= 4
    for channel, body in examples:
        message = json.loads(body)
        if channel == "cmd":
            protocol.validate_command(message)
        else:
            protocol.validate_device_message(message, channel)
        assert protocol.verify(message, "example-secret"), f"{channel} example badly signed"


VECTOR = re.compile(
    r"^Test vector \(([a-z ]+)\):\n\n```json\n(.*?)\n```\n\nCanonical form:\n\n```text\n(.*?)\n```"
    r"\n\nSignature with `example-secret`: `([0-9a-f]{64})`",
    re.M | re.S,
)


def test_documented_test_vectors():
    """The document's RFC 8785 vectors: a device following them byte for byte is accepted."""
    with open(DOC, encoding="utf-8") as doc:
        vectors = VECTOR.findall(doc.read())
    assert {name for name, *_rest in vectors} >= {"numbers", "key order", "text"}
    for name, sent, canonical_text, signature in vectors:
        message = protocol.decode(sent.encode())
        protocol.validate_device_message(message, protocol.channel_of(message["type"]))
        assert protocol.canonical(message) == canonical_text.encode(), name
        assert message["sig"] == signature, name
        assert protocol.signature(message, "example-secret") == signature, name
        assert protocol.verify(message, "example-secret"), name


def test_simulated_device_refuses_unsigned_forged_and_expired_commands():
    """The simulator checks commands as a device must (it never connects here)."""
    box = Device("MKEY-61-ALE", "example-secret", "keybox", slots=["ALE-1"])
    now = protocol.utcnow()
    window = {
        "code": "482913",
        "booking": "BK/1",
        "valid_from": protocol.format_ts(now - timedelta(minutes=5)),
        "valid_until": protocol.format_ts(now + timedelta(hours=1)),
        "slot": "ALE-1",
    }

    def command(command_type="code.push", params=window, expires_in=60, secret="example-secret"):
        message = protocol.command(
            "MKEY-61-ALE", command_type, params, now + timedelta(seconds=expires_in)
        )
        return protocol.sign(message, secret) if secret else message

    def handle(message):
        return box._handle_command(protocol.encode(message))[0]

    assert handle(command(secret=None)) == ("refused", "missing_key")
    assert handle(command(secret="guessed")) == ("refused", "signature")
    forged = command()
    assert handle({**forged, "params": {**window, "code": "000000"}}) == ("refused", "signature")
    assert handle(command(expires_in=-1)) == ("expired", "")
    assert handle(command("immobiliser.arm", {})) == ("refused", "unsupported")
    assert box._handle_command(b"{not json") == (None, None)
    assert box.codes == {}, "nothing refused was applied"

    push = command()
    assert handle(push) == ("ok", "")
    assert box.codes["482913"]["booking"] == "BK/1"
    assert box.type_code("482913") and not box.slots["ALE-1"]
    assert [message["type"] for message, _retain in box.outbox] == ["code.typed", "key.taken"]
    for message, _retain in box.outbox:  # signed when published, once online
        protocol.validate_device_message(protocol.sign(message, box.secret), "event")
    revoke = command("code.revoke", {"code": "482913", "booking": "BK/1"})
    assert handle(revoke) == ("ok", "")
    assert handle(push) == ("ok", ""), "a redelivered command is acknowledged again"
    assert box.codes == {}, "but not executed twice"
    assert not box.type_code("482913")


if __name__ == "__main__":
    sys.stdout.write(schema_section())
