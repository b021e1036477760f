"""The product as a newcomer meets it: a running server with the carshare menus, groups and demo."""

import shutil
import subprocess
import threading

import paho.mqtt.client as mqtt
import pytest
from conftest import ROOT

CARSHARE_ADDONS = [
    "carshare_fleet",
    "carshare_booking",
    "carshare_billing",
    "carshare_billing_fr",
    "carshare_payment",
    "carshare_payment_stripe",
    "carshare_iot",
    "carshare_portal",
    "carshare_neighbours",
    "carshare_gbfs",
    "carshare_gbfs_billing",
    "carshare_portal_billing",
    "carshare_portal_payment",
    "carshare_portal_sepa",
    "carshare_portal_iot",
    "carshare_reversal",
    "carshare_billing_sepa",
    "carshare_reversal_stripe",
]


def test_all_addons_installed_together(odoo):
    modules = odoo.execute(
        "ir.module.module",
        "search_read",
        [("name", "in", CARSHARE_ADDONS)],
        fields=["name", "state"],
    )
    assert {m["name"]: m["state"] for m in modules} == dict.fromkeys(CARSHARE_ADDONS, "installed")


def test_carsharing_menu_and_submenus(odoo):
    root = odoo.execute(
        "ir.model.data", "check_object_reference", "carshare_fleet", "menu_carshare_root"
    )[1]
    children = odoo.execute(
        "ir.ui.menu", "search_read", [("parent_id", "=", root)], fields=["name"]
    )
    names = {c["name"] for c in children}
    assert {"Operations", "Fleet", "Members", "Reporting", "Configuration"} <= names


def test_security_groups(odoo):
    groups = odoo.execute(
        "res.groups",
        "search_read",
        [("category_id.name", "=", "Carsharing")],
        fields=["name", "implied_ids"],
    )
    by_name = {g["name"]: g for g in groups}
    assert {"User", "Manager", "Accountant"} <= set(by_name)
    account_invoice = odoo.execute(
        "ir.model.data", "check_object_reference", "account", "group_account_invoice"
    )[1]
    assert account_invoice in by_name["Accountant"]["implied_ids"]


def test_records_administrators_tune_are_loaded_once(odoo):
    # An upgrade must not reset a cron's schedule, a mail's wording or an activity's summary.
    reset_on_upgrade = odoo.execute(
        "ir.model.data",
        "search_read",
        [
            ("module", "=like", "carshare\\_%"),
            ("model", "in", ["ir.cron", "mail.template", "mail.activity.type"]),
            ("noupdate", "=", False),
        ],
        fields=["module", "name"],
    )
    assert [f"{x['module']}.{x['name']}" for x in reset_on_upgrade] == []


def test_wrong_password_is_refused(odoo):
    assert odoo.call("common", "login", odoo.db, "admin", "not-the-password") is False


def test_broker_round_trip(mqtt_broker):
    """The broker the bridge and the devices use is a real Mosquitto, not a stand-in."""
    host, port = mqtt_broker
    received = threading.Event()
    topic = "carshare/test/foundation"

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_message = lambda _c, _u, msg: msg.payload == b"ping" and received.set()
    client.connect(host, port)
    client.subscribe(topic, qos=1)
    client.loop_start()
    try:
        client.publish(topic, b"ping", qos=1).wait_for_publish(5)
        assert received.wait(5), "no message back from the broker"
    finally:
        client.loop_stop()
        client.disconnect()


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose is not installed")
def test_compose_file_parses():
    result = subprocess.run(
        [
            "docker-compose",
            "--env-file",
            f"{ROOT}/docker/env.example",
            "-f",
            f"{ROOT}/docker/compose.yml",
            "config",
            "--services",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {"db", "mosquitto", "odoo", "bridge"}
