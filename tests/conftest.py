"""Integration test harness: a real Odoo server, PostgreSQL and Mosquitto.

scripts/test runs Odoo's own tests on a fresh database, then points these tests at it through
CARSHARE_TEST_DB and CARSHARE_TEST_CONF. Run alone, they expect the same variables.
"""

import contextlib
import os
import socket
import subprocess
import time

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADMIN = ("admin", "admin")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _require_env(name):
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set: run the suite through scripts/test")
    return value


@pytest.fixture(scope="session")
def odoo_conf():
    return _require_env("CARSHARE_TEST_CONF")


@pytest.fixture(scope="session")
def test_db():
    return _require_env("CARSHARE_TEST_DB")


class OdooServer:
    def __init__(self, url, db):
        self.url = url
        self.db = db
        self._uids = {}

    def call(self, service, method, *args):
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": args},
            "id": 1,
        }
        reply = requests.post(f"{self.url}/jsonrpc", json=payload, timeout=60).json()
        if "error" in reply:
            raise RpcError(reply["error"])
        return reply["result"]

    def login(self, login, password):
        key = (login, password)
        if key not in self._uids:
            self._uids[key] = self.call("common", "login", self.db, login, password)
        return self._uids[key]

    def execute(self, model, method, *args, user=ADMIN, **kwargs):
        uid = self.login(*user)
        return self.call("object", "execute_kw", self.db, uid, user[1], model, method, args, kwargs)


class RpcError(Exception):
    def __init__(self, error):
        data = error.get("data") or {}
        super().__init__(data.get("message") or error.get("message"))
        self.name = data.get("name", "")


@contextlib.contextmanager
def serve_odoo(odoo_conf, db, log_path, workers=2, prefix=(), cron_threads=0):
    """An Odoo server on ``db`` (``prefix``: what runs the ``odoo`` command), until closed."""
    port = _free_port()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [
                *prefix,
                "odoo",
                "-c",
                odoo_conf,
                "-d",
                db,
                "--http-port",
                str(port),
                "--gevent-port",
                str(_free_port()),
                "--workers",
                str(workers),
                "--max-cron-threads",
                str(cron_threads),
                "--db-filter",
                f"^{db}$",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"Odoo exited early:\n{log_path.read_text()[-3000:]}")
            try:
                if requests.get(f"{url}/web/health", timeout=10).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or workers still starting
                pass
            time.sleep(0.5)
        else:
            pytest.fail("Odoo did not answer on /web/health within 180 s")
        yield OdooServer(url, db), proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def odoo(odoo_conf, test_db, tmp_path_factory):
    """An Odoo server with two HTTP workers, serving the test database."""
    log_path = tmp_path_factory.mktemp("odoo") / "server.log"
    with serve_odoo(odoo_conf, test_db, log_path) as (server, _process):
        yield server


@pytest.fixture(scope="session")
def mqtt_broker():
    return os.environ.get("MQTT_HOST", "127.0.0.1"), int(os.environ.get("MQTT_PORT", "1883"))
