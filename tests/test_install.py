"""Each carshare addon installs alone, with only its own dependencies, demo data included."""

import subprocess
import uuid

import pytest
from test_foundation import CARSHARE_ADDONS

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
}


def _psql(db, sql):
    return subprocess.run(
        ["psql", "-d", db, "-tAc", sql], capture_output=True, text=True, check=True
    ).stdout.split()


@pytest.mark.parametrize("addon", CARSHARE_ADDONS)
def test_addon_installs_alone(addon, odoo_conf):
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
        assert result.returncode == 0, result.stderr[-3000:]
        assert not errors, "\n".join(errors)
        installed = set(
            _psql(
                db,
                "SELECT name FROM ir_module_module WHERE state = 'installed' "
                "AND name LIKE 'carshare\\_%'",
            )
        )
        assert installed == CARSHARE_CLOSURE[addon]
    finally:
        subprocess.run(["dropdb", "--if-exists", db], check=False)
