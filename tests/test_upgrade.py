"""A database built on the layout before the split of the billing (one concern an addon) upgrades
to today's layout with nothing lost.

The old layout is taken from git history (the commit before the split): a clone without that
history fails here, loudly. The database gets the old demo, its set-up, a few days of the old
demo's history, a record of each model the demo leaves empty, and an administrator's edits of
records that the addons load once (``noupdate``); then today's addons upgrade it.
"""

import json
import os
import re
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRE_SPLIT = "0b2f7c6709a31d3f7933ccf950154c7be3ecf9c6"
# the carshare addons of the old layout (the demo depends on the others)
OLD_ADDONS = (
    "carshare_fleet,carshare_booking,carshare_billing,carshare_iot,carshare_portal,"
    "carshare_neighbours,carshare_gbfs,carshare_gbfs_billing,carshare_demo"
)
# What administrators tune, by model: every such record of the addons is loaded once (noupdate).
EDITED = {"ir.cron": "interval_number", "mail.template": "subject", "mail.activity.type": "summary"}
# Written by the old code, after its history: Stripe's records (the demo has no Stripe account)
# and an administrator's edits of those records. Prints what it edited, as JSON.
SEED = """
import json
EDITED = %r
company = env.ref("base.main_company")
stripe = env.ref("payment.payment_provider_stripe")
env["carshare.stripe.event"].create(
    {"event_id": "evt_upgrade", "event_type": "payout.paid", "provider_id": stripe.id}
)
payout = env["carshare.stripe.payout"].create(
    {
        "name": "po_upgrade",
        "provider_id": stripe.id,
        "currency_id": company.currency_id.id,
        "arrival_date": "2026-11-30",
        "gross_amount": 100.0,
        "fee_amount": 1.9,
        "amount": 98.1,
    }
)
env["carshare.stripe.payout.line"].create(
    {"payout_id": payout.id, "name": "txn_upgrade", "kind": "charge", "amount": 100.0,
     "fee": 1.9, "net": 98.1}
)
edits = {}
data = env["ir.model.data"].search(
    [("module", "=like", "carshare\\\\_%%"), ("model", "in", list(EDITED))]
)
for xmlid in data:
    record = env[xmlid.model].browse(xmlid.res_id)
    field = EDITED[xmlid.model]
    if field == "interval_number":
        record[field] += 1
    else:
        record[field] = (record[field] or "") + " (edited)"
    edits[xmlid.complete_name] = [xmlid.model, xmlid.res_id, record[field]]
env.cr.commit()
print("EDITS=" + json.dumps(edits))
"""
CHECK_EDITS = """
import json
EDITED = %r
edits = json.loads(%r)
for name, (model, res_id, value) in edits.items():
    record = env[model].browse(res_id).exists()
    field = EDITED[model]
    print("EDIT", name, json.dumps(record[field] if record else None) == json.dumps(value))
"""
# columns whose value an upgrade rewrites by design
REWRITTEN = {"write_date", "write_uid"}


def _run(args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)


def _psql(db, query):
    result = _run(["psql", "-d", db, "-tAF", "\t", "-c", query])
    assert result.returncode == 0, result.stderr
    return [line.split("\t") for line in result.stdout.splitlines() if line]


def _snapshot(db):
    """What the database holds: xmlids, the carshare tables' rows and columns, their contents."""
    xmlids = {
        (model, int(res_id)): (module, name)
        for module, name, model, res_id in _psql(
            db,
            "SELECT module, name, model, res_id FROM ir_model_data "
            "WHERE module LIKE 'carshare\\_%' AND res_id IS NOT NULL",
        )
    }
    columns = {}
    for table, column in _psql(
        db,
        "SELECT c.table_name, c.column_name FROM information_schema.columns c "
        "JOIN information_schema.tables t USING (table_schema, table_name) "
        "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' "
        "AND (c.table_name LIKE 'carshare\\_%' OR c.column_name LIKE 'carshare\\_%')",
    ):
        columns.setdefault(table, set()).add(column)
    return {"xmlids": xmlids, "columns": columns}


def _contents(db, table, columns):
    """Row count and a digest of the rows over ``columns``, in a stable order."""
    cols = ", ".join(f'"{c}"' for c in sorted(columns))
    order = "id" if "id" in columns else cols
    rows = _psql(
        db,
        f"SELECT count(*), md5(coalesce(string_agg(row({cols})::text, '|' ORDER BY {order}), '')) "
        f'FROM "{table}"',
    )
    return tuple(rows[0])


def _model_addons():
    """{model: the addons of today's tree that define or extend it}, from their Python code."""
    addons = {}
    declaration = re.compile(r'^\s+_(?:name|inherit) = (\[[^\]]*\]|"[^"]+")', re.M)
    for path in ROOT.glob("addons/carshare_*/**/*.py"):
        if "tests" in path.parts:
            continue
        addon = path.relative_to(ROOT / "addons").parts[0]
        for names in declaration.findall(path.read_text()):
            for model in re.findall(r'"([\w.]+)"', names):
                addons.setdefault(model, set()).add(addon)
    return addons


@pytest.fixture(scope="module")
def upgrade(odoo_conf, tmp_path_factory):
    """The old database's snapshot and contents, the upgrade's result and the new snapshot."""
    known = _run(["git", "-C", str(ROOT), "cat-file", "-e", f"{PRE_SPLIT}^{{commit}}"])
    if known.returncode != 0:
        pytest.fail(
            f"commit {PRE_SPLIT} (before the split) is not in this clone's history: "
            "the upgrade test needs a clone with its history (git fetch --unshallow)"
        )
    work = tmp_path_factory.mktemp("upgrade")
    old = work / "old"
    old.mkdir()
    archive = _run(
        ["bash", "-c", 'git -C "$0" archive "$1" addons scripts | tar -x -C "$2"']
        + [str(ROOT), PRE_SPLIT, str(old)]
    )
    assert archive.returncode == 0, archive.stderr
    db = f"carshare_upgrade_{os.getpid()}"
    text = Path(odoo_conf).read_text()
    text = re.sub(r"^(db_name|dbfilter) = .*$", "", text, flags=re.M)
    new_conf, old_conf = work / "new.conf", work / "old.conf"
    new_conf.write_text(text)
    old_conf.write_text(text.replace(f"{ROOT}/addons", f"{old}/addons"))
    odoo_old = ["odoo", "-c", str(old_conf), "-d", db, "--max-cron-threads=0"]
    shell_old = ["odoo", "shell", "-c", str(old_conf), "-d", db, "--no-http", "--log-level=warn"]
    try:
        created = _run(
            [
                "bash",
                "-c",
                'source "$0/scripts/lib.sh" && create_french_database "$1" "$2" en_US',
                str(ROOT),
                str(old_conf),
                db,
            ]
        )
        assert created.returncode == 0, created.stderr[-3000:]
        steps = [
            ([*odoo_old, "-i", f"{OLD_ADDONS},payment_demo", "--stop-after-init"], None),
            (shell_old, (old / "scripts" / "demo_setup.py").read_text()),
        ]
        for args, stdin in steps:
            result = _run(args, input=stdin)
            assert result.returncode == 0, result.stderr[-3000:]
        # A few days of the old demo's history: bookings, returns, invoices, card and SEPA
        # payments, a reversal statement, a Chorus Pro flow (its mandates are signed today).
        history = _run(
            [
                "odoo",
                "carshare-demo-history",
                "-c",
                str(old_conf),
                "-d",
                db,
                "--from",
                (date.today() - timedelta(days=5)).isoformat(),
                "--scale",
                "0.05",
            ],
            env={**os.environ, "ODOO_RC": str(old_conf)},
        )
        assert history.returncode == 0, history.stderr[-3000:]
        seeded = _run(shell_old, input=SEED % EDITED)
        assert seeded.returncode == 0, seeded.stderr[-3000:]
        edits = next(
            line[len("EDITS=") :]
            for line in seeded.stdout.splitlines()
            if line.startswith("EDITS=")
        )
        before = _snapshot(db)
        contents = {
            table: _contents(db, table, columns - REWRITTEN)
            for table, columns in before["columns"].items()
            if table.startswith("carshare_")
        }
        upgraded = _run(
            [
                "odoo",
                "-c",
                str(new_conf),
                "-d",
                db,
                "-u",
                OLD_ADDONS,
                "--stop-after-init",
                "--max-cron-threads=0",
            ]
        )
        after = _snapshot(db)
        after_contents = {
            table: _contents(db, table, before["columns"][table] - REWRITTEN)
            for table in contents
            if before["columns"][table] <= after["columns"].get(table, set())
        }
        checked = _run(
            ["odoo", "shell", "-c", str(new_conf), "-d", db, "--no-http", "--log-level=warn"],
            input=CHECK_EDITS % (EDITED, edits),
        )
        installed = {
            name
            for (name,) in _psql(
                db,
                "SELECT name FROM ir_module_module "
                "WHERE state = 'installed' AND name LIKE 'carshare\\_%'",
            )
        }
        ir_models = {}
        for model, module in _psql(
            db,
            "SELECT m.model, d.module FROM ir_model m JOIN ir_model_data d "
            "ON d.model = 'ir.model' AND d.res_id = m.id "
            "AND d.name = 'model_' || replace(m.model, '.', '_') "
            "WHERE m.model LIKE 'carshare.%'",
        ):
            ir_models.setdefault(model, set()).add(module)
        yield {
            "before": before,
            "after": after,
            "contents": contents,
            "after_contents": after_contents,
            "upgraded": upgraded,
            "edits": json.loads(edits),
            "checked": checked,
            "installed": installed,
            "ir_models": ir_models,
        }
    finally:
        _run(["dropdb", "--if-exists", db])


def test_the_upgrade_runs_without_error(upgrade):
    result = upgrade["upgraded"]
    assert result.returncode == 0, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if re.search(r" (ERROR|CRITICAL) ", line)]
    assert not errors, "\n".join(errors)


def test_every_addon_of_the_new_layout_is_installed(upgrade):
    # The old demo had every carshare addon: the new one has every addon of today's tree,
    # the new addons installed by the old ones' migrations, the bridges by their parents.
    assert upgrade["installed"] == {path.name for path in ROOT.glob("addons/carshare_*")}


def test_no_record_column_or_row_is_lost(upgrade):
    before, after = upgrade["before"], upgrade["after"]
    lost_columns = {
        (table, column)
        for table, columns in before["columns"].items()
        for column in columns
        if column not in after["columns"].get(table, set())
    }
    assert not lost_columns
    lost_xmlids = {
        key: value for key, value in before["xmlids"].items() if key not in after["xmlids"]
    }
    assert not lost_xmlids
    changed = {
        table: (old, upgrade["after_contents"].get(table))
        for table, old in upgrade["contents"].items()
        if upgrade["after_contents"].get(table) != old
    }
    assert not changed


def test_models_belong_to_the_addons_that_define_them(upgrade):
    # A model moved to a new addon is recorded under it, and no more under the addon it left.
    addons = _model_addons()
    wrong = {
        model: (modules, addons.get(model, set()))
        for model, modules in upgrade["ir_models"].items()
        if modules != {m for m in addons.get(model, set()) if m.startswith("carshare_")}
    }
    assert not wrong


def test_administrators_edits_survive(upgrade):
    assert upgrade["edits"], "the old demo has no cron, mail template or activity type"
    checked = upgrade["checked"]
    assert checked.returncode == 0, checked.stderr[-3000:]
    results = dict(
        line.split()[1:3] for line in checked.stdout.splitlines() if line.startswith("EDIT ")
    )
    assert results == dict.fromkeys(upgrade["edits"], "True")
