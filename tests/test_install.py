"""Each carshare addon installs alone, with only its own dependencies, demo data included."""

import ast
import concurrent.futures
import configparser
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from test_foundation import CARSHARE_ADDONS

ROOT = Path(__file__).resolve().parent.parent
# each addon with exactly the carshare addons it depends on
CARSHARE_CLOSURE = {
    "carshare_fleet": {"carshare_fleet"},
    "carshare_booking": {"carshare_booking", "carshare_fleet"},
    "carshare_billing": {"carshare_billing", "carshare_booking", "carshare_fleet"},
    # auto-installed with French accounting, which it brings when installed alone
    "carshare_billing_fr": {
        "carshare_billing",
        "carshare_billing_fr",
        "carshare_booking",
        "carshare_fleet",
    },
    # auto-installed with OCA's SEPA direct debit, which it brings when installed alone
    "carshare_billing_sepa": {
        "carshare_billing",
        "carshare_billing_sepa",
        "carshare_booking",
        "carshare_fleet",
    },
    "carshare_payment": {
        "carshare_billing",
        "carshare_booking",
        "carshare_fleet",
        "carshare_payment",
    },
    # auto-installed with payment_stripe: installed alone, it brings carshare_payment
    "carshare_payment_stripe": {
        "carshare_billing",
        "carshare_booking",
        "carshare_fleet",
        "carshare_payment",
        "carshare_payment_stripe",
    },
    "carshare_reversal": {
        "carshare_billing",
        "carshare_booking",
        "carshare_fleet",
        "carshare_reversal",
    },
    # the bridges bring their parents
    "carshare_reversal_stripe": {
        "carshare_billing",
        "carshare_booking",
        "carshare_fleet",
        "carshare_payment",
        "carshare_payment_stripe",
        "carshare_reversal",
        "carshare_reversal_stripe",
    },
    "carshare_iot": {"carshare_booking", "carshare_fleet", "carshare_iot"},
    "carshare_portal": {"carshare_booking", "carshare_fleet", "carshare_portal"},
    "carshare_neighbours": {"carshare_booking", "carshare_fleet", "carshare_neighbours"},
    "carshare_gbfs": {"carshare_booking", "carshare_fleet", "carshare_gbfs"},
    "carshare_gbfs_billing": {
        "carshare_billing",
        "carshare_booking",
        "carshare_fleet",
        "carshare_gbfs",
        "carshare_gbfs_billing",
    },
    "carshare_portal_billing": {
        "carshare_billing",
        "carshare_booking",
        "carshare_fleet",
        "carshare_portal",
        "carshare_portal_billing",
    },
    "carshare_portal_payment": {
        "carshare_billing",
        "carshare_booking",
        "carshare_fleet",
        "carshare_payment",
        "carshare_portal",
        "carshare_portal_billing",
        "carshare_portal_payment",
    },
    "carshare_portal_sepa": {
        "carshare_billing",
        "carshare_billing_sepa",
        "carshare_booking",
        "carshare_fleet",
        "carshare_portal",
        "carshare_portal_billing",
        "carshare_portal_sepa",
    },
    "carshare_portal_iot": {
        "carshare_booking",
        "carshare_fleet",
        "carshare_iot",
        "carshare_portal",
        "carshare_portal_iot",
    },
    # the demo's history command, installed by scripts/run only (every addon but the open data)
    "carshare_demo": {
        "carshare_billing",
        "carshare_billing_fr",
        "carshare_billing_sepa",
        "carshare_booking",
        "carshare_demo",
        "carshare_fleet",
        "carshare_iot",
        "carshare_neighbours",
        "carshare_payment",
        "carshare_payment_stripe",
        "carshare_portal",
        "carshare_portal_billing",
        "carshare_portal_iot",
        "carshare_portal_payment",
        "carshare_portal_sepa",
        "carshare_reversal",
        "carshare_reversal_stripe",
    },
}
ADDONS = [*CARSHARE_ADDONS, "carshare_demo"]
# two installs at a time: the machines have two cores
PARALLEL = 2
# The carshare addons most others stand on: Odoo's modules they declare (with their own
# dependencies and demo data) are installed once into a template that the databases of the
# addons standing on them copy. A template holds only what that layer declares, so that an
# addon relying on a module it does not declare still fails.
LAYERS = ("carshare_billing", "carshare_booking")


def _declared(addon):
    """The modules the addon's manifest depends on."""
    manifest = ROOT / "addons" / addon / "__manifest__.py"
    return ast.literal_eval(manifest.read_text()).get("depends", [])


def _odoo_dependencies(layer):
    """Odoo's (and OCA's) modules the layer's carshare closure declares."""
    return sorted(
        {dep for addon in CARSHARE_CLOSURE[layer] for dep in _declared(addon)}
        - set(CARSHARE_CLOSURE)
    )


def _filestore(odoo_conf, db):
    parser = configparser.ConfigParser()
    parser.read(odoo_conf)
    return Path(parser["options"]["data_dir"]) / "filestore" / db


def _copy_database(odoo_conf, template, db):
    subprocess.run(["createdb", "-T", template, db], check=True, capture_output=True)
    if _filestore(odoo_conf, template).exists():
        shutil.copytree(_filestore(odoo_conf, template), _filestore(odoo_conf, db))


def _drop_database(odoo_conf, db):
    subprocess.run(["dropdb", "--if-exists", db], check=False, capture_output=True)
    shutil.rmtree(_filestore(odoo_conf, db), ignore_errors=True)


def _layer_of(addon):
    return next((layer for layer in LAYERS if layer in CARSHARE_CLOSURE[addon]), None)


def _install(odoo_conf, db, modules):
    return subprocess.run(
        [
            "odoo",
            "-c",
            odoo_conf,
            "-d",
            db,
            "-i",
            ",".join(modules),
            "--stop-after-init",
            "--log-level=warn",
            "--max-cron-threads=0",
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def _install_alone(addon, odoo_conf, templates):
    """Install the addon into a database of its own (a copy of its layer's template); return
    its exit code, the end of its log, its ERROR lines and the carshare addons then installed."""
    db = f"carshare_alone_{addon}_{uuid.uuid4().hex[:6]}"
    try:
        layer = _layer_of(addon)
        if layer:
            _copy_database(odoo_conf, templates[layer], db)
        result = _install(odoo_conf, db, [addon])
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
        uninstalled = _uninstall(odoo_conf, db, addon) if result.returncode == 0 else None
        return result.returncode, result.stderr[-3000:], errors, set(installed), uninstalled
    finally:
        _drop_database(odoo_conf, db)


UNINSTALL = """
name = %r
env["ir.module.module"].search([("name", "=", name)]).button_immediate_uninstall()
env.cr.execute("SELECT count(*) FROM ir_model_data WHERE module = %%s", [name])
left = env.cr.fetchone()[0]
env.cr.execute("SELECT state FROM ir_module_module WHERE name = %%s", [name])
print("LEFT", left, env.cr.fetchone()[0])
"""


def _uninstall(odoo_conf, db, addon):
    """Uninstall the addon again: (exit code, ERROR lines, xmlids left, its state)."""
    result = subprocess.run(
        ["odoo", "shell", "-c", odoo_conf, "-d", db, "--no-http", "--log-level=warn"],
        input=UNINSTALL % addon,
        capture_output=True,
        text=True,
        check=False,
    )
    left = next(
        (line.split()[1:] for line in result.stdout.splitlines() if line.startswith("LEFT ")), None
    )
    errors = [line for line in result.stderr.splitlines() if " ERROR " in line]
    return result.returncode, errors, left, result.stderr[-3000:]


@pytest.fixture(scope="module")
def templates(odoo_conf):
    names = {layer: f"carshare_layer_{layer}_{uuid.uuid4().hex[:6]}" for layer in LAYERS}
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=PARALLEL) as pool:
            results = {
                layer: pool.submit(_install, odoo_conf, db, _odoo_dependencies(layer))
                for layer, db in names.items()
            }
            for layer, future in results.items():
                result = future.result()
                assert result.returncode == 0, f"template of {layer}: {result.stderr[-3000:]}"
        yield names
    finally:
        for db in names.values():
            _drop_database(odoo_conf, db)


@pytest.fixture(scope="module")
def installs(odoo_conf, templates):
    with concurrent.futures.ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        futures = {a: pool.submit(_install_alone, a, odoo_conf, templates) for a in ADDONS}
        return {addon: future.result() for addon, future in futures.items()}


def test_closure_covers_every_addon():
    addons = {path.name for path in ROOT.glob("addons/carshare_*")}
    assert set(CARSHARE_CLOSURE) == set(ADDONS) == addons


@pytest.mark.parametrize("addon", ADDONS)
def test_addon_installs_alone(addon, installs):
    returncode, log_tail, errors, installed, _uninstalled = installs[addon]
    assert returncode == 0, log_tail
    assert not errors, "\n".join(errors)
    assert installed == CARSHARE_CLOSURE[addon]


@pytest.mark.parametrize("addon", ADDONS)
def test_addon_uninstalls_cleanly(addon, installs):
    # Installed alone with its demo data, which posts no accounting: nothing holds it.
    uninstalled = installs[addon][4]
    assert uninstalled, "not installed"
    returncode, errors, left, log_tail = uninstalled
    assert returncode == 0, log_tail
    assert not errors, "\n".join(errors)
    assert left == ["0", "uninstalled"], log_tail
