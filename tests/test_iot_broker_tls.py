"""The bridge and the devices on Mosquitto's TLS listener, as the deployment runs it: the broker
proves itself with a certificate of the deployment's CA; a client that does not trust that CA,
or that speaks plain MQTT, does not get in."""

import ssl
import subprocess
import threading

import pytest

pytest_plugins = ["iot_fixtures"]

TLS_BROKER = """persistence false
log_dest file {dir}/mosquitto.log
allow_anonymous true
listener {port} 127.0.0.1
cafile {dir}/ca.pem
certfile {dir}/server.pem
keyfile {dir}/server.key
"""


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def certificate_authority(folder, name):
    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-keyout", f"{name}.key", "-out", f"{name}.pem", "-subj", f"/CN={name}",
        cwd=folder,
    )  # fmt: skip
    return folder / f"{name}.pem"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA, the broker's certificate for 127.0.0.1 signed by it, and a stranger CA."""
    folder = tmp_path_factory.mktemp("pki")
    ca = certificate_authority(folder, "ca")
    stranger = certificate_authority(folder, "stranger")
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
        "-out", "server.csr", "-subj", "/CN=127.0.0.1",
        cwd=folder,
    )  # fmt: skip
    openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "san.ext",
        cwd=folder,
    )  # fmt: skip
    return {
        "ca": ca,
        "stranger": stranger,
        "files": {
            name: (folder / name).read_text() for name in ("ca.pem", "server.pem", "server.key")
        },
    }


@pytest.fixture
def tls_broker(iot, pki):
    broker = iot.Broker(TLS_BROKER, files=pki["files"]).start()
    yield broker
    broker.remove()


def connects(mqtt, port, ca_file=None):
    """Whether a client gets the broker's CONNACK, with TLS when given a CA to trust."""
    connected = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="tls-probe")
    client.on_connect = lambda *_args: connected.set()
    if ca_file:
        client.tls_set(ca_certs=str(ca_file), tls_version=ssl.PROTOCOL_TLS_CLIENT)
    try:
        client.connect("127.0.0.1", port)
    except (ssl.SSLError, OSError):
        return False
    client.loop_start()
    try:
        return connected.wait(5)
    finally:
        client.loop_stop()
        client.disconnect()


def test_bridge_and_devices_over_tls(iot, iot_world, tls_broker, pki, bridges, devices):
    assert connects(iot.mqtt, tls_broker.port, pki["ca"]), "a client trusting the CA gets in"
    assert not connects(iot.mqtt, tls_broker.port), "plain MQTT is refused on the TLS listener"
    assert not connects(iot.mqtt, tls_broker.port, pki["stranger"]), "an unknown CA is refused"

    bridge = bridges(
        tls_broker,
        options={"carshare_mqtt_tls": "True", "carshare_mqtt_ca_file": str(pki["ca"])},
    )
    assert "connected to MQTT broker" in bridge.log()
    car = iot_world.vehicle()
    immobiliser = devices(iot_world.simulate(car["immobiliser"], tls_broker, tls_ca_file=pki["ca"]))
    booking = iot_world.book(car)
    code = booking["access_code"]
    immobiliser.wait_for(lambda: code in immobiliser.codes)
    iot_world.wait_acked(booking, car["immobiliser"])
