"""Each carshare addon installs alone, with only its own dependencies, demo data included."""

import concurrent.futures
import subprocess
import uuid
from pathlib import Path

import pytest
from test_foundation import CARSHARE_ADDONS

ROOT = Path(__file__).resolve().parent.parent
# each addon with exactly the carshare addons it depends on
CARSHARE_CLOSURE = {
    "carshare_fleet": {"carshare_fleet"},
    "carshare_booking": {"carshare_fleet", "carshare_booking"},
    "carshare_billing": {"carshare_fleet", "carshare_booking", "carshare_billing"},
    "carshare_iot": {"carshare_fleet", "carshare_booking", "carshare_iot"},
    "carshare_portal": {
        "carshare_fleet",
        "carshare_booking",
        "carshare_billing",
        "carshare_portal",
    },
    "carshare_neighbours": {"carshare_fleet", "carshare_booking", "carshare_neighbours"},
    "carshare_gbfs": {"carshare_fleet", "carshare_booking", "carshare_gbfs"},
    # the bridge brings its two parents
    "carshare_gbfs_billing": {
        "carshare_fleet",
        "carshare_booking",
        "carshare_billing",
        "carshare_gbfs",
        "carshare_gbfs_billing",
    },
    "carshare_reversal": {
        "carshare_fleet",
        "carshare_booking",
        "carshare_billing",
        "carshare_reversal",
    },
    "carshare_billing_sepa": {
        "carshare_fleet",
        "carshare_booking",
        "carshare_billing",
        "carshare_billing_sepa",
    },
    # the demo's history command, installed by scripts/run only
    "carshare_demo": {
        "carshare_fleet",
        "carshare_booking",
        "carshare_billing",
        "carshare_iot",
        "carshare_portal",
        "carshare_neighbours",
        "carshare_reversal",
        "carshare_billing_sepa",
        "carshare_demo",
    },
}
ADDONS = [*CARSHARE_ADDONS, "carshare_demo"]
# two installs at a time: the machines have two cores
PARALLEL = 2


def _install_alone(addon, odoo_conf):
    """Install the addon into a database of its own; return its exit code, the end of its log,
    its ERROR lines and the carshare addons then installed."""
    db = f"carshare_alone_{addon}_{uuid.uuid4().hex[:6]}"
    try:
        result = subprocess.run(
            [
                "odoo",
                "-c",
                odoo_conf,
                "-d",
                db,
                "-i",
                addon,
                "--stop-after-init",
                "--log-level=warn",
                "--max-cron-threads=0",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        errors = [line for line in result.stderr.splitlines() if " ERROR " in line]
        installed = subprocess.run(
            [
                "psql",
                "-d",
                db,
                "-tAc",
                "SELECT name FROM ir_module_module WHERE state = 'installed' "
                "AND name LIKE 'carshare\\_%'",
            ],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        return result.returncode, result.stderr[-3000:], errors, set(installed)
    finally:
        subprocess.run(["dropdb", "--if-exists", db], check=False, capture_output=True)


@pytest.fixture(scope="module")
def installs(odoo_conf):
    with concurrent.futures.ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        futures = {a: pool.submit(_install_alone, a, odoo_conf) for a in ADDONS}
        return {addon: future.result() for addon, future in futures.items()}


def test_closure_covers_every_addon():
    addons = {path.name for path in ROOT.glob("addons/carshare_*")}
    assert set(CARSHARE_CLOSURE) == set(ADDONS) == addons


@pytest.mark.parametrize("addon", ADDONS)
def test_addon_installs_alone(addon, installs):
    returncode, log_tail, errors, installed = installs[addon]
    assert returncode == 0, log_tail
    assert not errors, "\n".join(errors)
    assert installed == CARSHARE_CLOSURE[addon]
