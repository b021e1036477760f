# Shared set-up for scripts/run and scripts/test. Sourced, not executed.
#
# Environment (all optional):
#   ODOO_SRC        Odoo 18.0 source tree (default /opt/odoo-18.0). When absent, it is extracted
#                   from a local git copy of Odoo (ODOO_GIT_DIR, at ODOO_COMMIT) when one is given,
#                   else cloned from upstream (ODOO_REPO, branch 18.0).
#   CARSHARE_CACHE  where virtualenvs are cached, keyed on the requirements (default ~/.cache/carshare)
#   PGHOST/PGPORT/PGUSER  PostgreSQL connection (default: local socket, current user)
#   MQTT_HOST/MQTT_PORT   Mosquitto (default 127.0.0.1:1883)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ODOO_SRC=${ODOO_SRC:-/opt/odoo-18.0}
ODOO_REPO=${ODOO_REPO:-https://github.com/odoo/odoo.git}
ODOO_GIT_DIR=${ODOO_GIT_DIR:-/work/.mirror/dglezz1+odoo-18.0/repo}
ODOO_COMMIT=${ODOO_COMMIT:-2268dca3b2af20bfadd08000b4b49459b93ecb06}
CARSHARE_CACHE=${CARSHARE_CACHE:-$HOME/.cache/carshare}
MQTT_HOST=${MQTT_HOST:-127.0.0.1}
MQTT_PORT=${MQTT_PORT:-1883}
export ODOO_SRC MQTT_HOST MQTT_PORT

log() { printf '\033[1m[carshare]\033[0m %s\n' "$*" >&2; }

ensure_system_packages() {
    local missing=() pkg
    for pkg in libpq-dev python3-venv postgresql-client; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    command -v mosquitto >/dev/null || missing+=(mosquitto)
    command -v pg_ctlcluster >/dev/null || missing+=(postgresql)
    # Invoices are printed by wkhtmltopdf (Debian's build: the patched one cannot be fetched
    # here, the Docker image has it) and read back by the tests with pdftotext.
    command -v wkhtmltopdf >/dev/null || missing+=(wkhtmltopdf)
    command -v pdftotext >/dev/null || missing+=(poppler-utils)
    if [ "${CARSHARE_TEST_TOOLS:-0}" = 1 ]; then
        # Odoo's HttpCase skips its browser tours, silently, when no Chromium is found; the
        # deployment's compose file is checked by docker-compose's own parser.
        command -v chromium >/dev/null || missing+=(chromium)
        command -v docker-compose >/dev/null || missing+=(docker-compose)
    fi
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing system packages: ${missing[*]}"
        local sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
        $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

ensure_services() {
    if ! pg_isready -q 2>/dev/null; then
        log "starting PostgreSQL"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -1)" main start
        for _ in $(seq 30); do pg_isready -q && break; sleep 1; done
    fi
    if ! (exec 3<>"/dev/tcp/$MQTT_HOST/$MQTT_PORT") 2>/dev/null; then
        log "starting Mosquitto"
        mosquitto -d -c /etc/mosquitto/mosquitto.conf
        sleep 1
    fi
}

ensure_odoo_source() {
    [ -f "$ODOO_SRC/odoo-bin" ] && return
    if git --git-dir="$ODOO_GIT_DIR" cat-file -e "$ODOO_COMMIT^{commit}" 2>/dev/null; then
        log "extracting Odoo $ODOO_COMMIT from $ODOO_GIT_DIR into $ODOO_SRC"
        mkdir -p "$ODOO_SRC"
        git --git-dir="$ODOO_GIT_DIR" archive "$ODOO_COMMIT" | tar -x -C "$ODOO_SRC"
    else
        log "no Odoo source in $ODOO_SRC: cloning 18.0 from $ODOO_REPO"
        git clone --quiet --depth 1 --branch 18.0 "$ODOO_REPO" "$ODOO_SRC"
    fi
}

# Odoo's own pins, minus what does not build on current Python tooling or is not used here.
odoo_requirements() {
    sed -e 's/^cbor2==5\.4\.2.*/cbor2==5.6.2/' -e '/^python-ldap/d' "$ODOO_SRC/requirements.txt"
}

venv_key() {
    { python3 --version; odoo_requirements; cat "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt"; } \
        | sha256sum | cut -c1-16
}

# Odoo as an installed distribution (the OCA wheels require it), kept as a path entry rather than an
# import hook so that the OCA wheels' odoo/addons folders join Odoo's own namespace.
install_odoo_distribution() {
    "$VENV/bin/pip" install --no-deps --no-build-isolation --config-settings editable_mode=compat -e "$ODOO_SRC"
}

ensure_venv() {
    VENV="$CARSHARE_CACHE/venv-$(venv_key)"
    if [ ! -f "$VENV/.complete" ]; then
        log "building virtualenv $VENV (once per set of requirements)"
        rm -rf "$VENV"
        mkdir -p "$CARSHARE_CACHE"
        python3 -m venv "$VENV"
        local piplog="$CARSHARE_CACHE/pip.log"
        {
            "$VENV/bin/pip" install --upgrade pip wheel "setuptools<75" &&
            "$VENV/bin/pip" install -r <(odoo_requirements) &&
            install_odoo_distribution &&
            "$VENV/bin/pip" install -r "$ROOT/requirements.txt" -r "$ROOT/requirements-dev.txt"
        } >"$piplog" 2>&1 || { tail -40 "$piplog" >&2; log "pip failed, full log in $piplog"; return 1; }
        touch "$VENV/.complete"
    fi
    # The Odoo distribution points at one source tree: follow ODOO_SRC if it moved.
    if [ "$("$VENV/bin/python" -c 'import odoo.release, os; print(os.path.dirname(os.path.dirname(odoo.release.__file__)))' 2>/dev/null)" \
        != "$(cd "$ODOO_SRC" && pwd)" ]; then
        install_odoo_distribution >/dev/null 2>&1
    fi
    export VENV PATH="$VENV/bin:$PATH"
}

# Write an odoo.conf for local use from the template in config/.
write_local_config() {
    local conf=$1 db=$2 port=${3:-8069}
    mkdir -p "$(dirname "$conf")"
    sed -e "s#@ADDONS_PATH@#$ODOO_SRC/addons,$ROOT/addons#" \
        -e "s#@DB_NAME@#$db#" \
        -e "s#@HTTP_PORT@#$port#" \
        -e "s#@DATA_DIR@#$CARSHARE_CACHE/data#" \
        -e "s#@MQTT_HOST@#$MQTT_HOST#" -e "s#@MQTT_PORT@#$MQTT_PORT#" \
        "$ROOT/config/odoo.local.conf.in" > "$conf"
}

# Create database $2 (configuration $1) as a French company's: Odoo chooses the chart of accounts
# and the taxes when accounting installs, from the company's country, so the country is set at the
# creation (base with its demo data), before any addon installs. French and English are both
# installed; $3 is the users' language (default French).
create_french_database() {
    local conf=$1 db=$2 lang=${3:-fr_FR}
    python - "$conf" "$db" "$lang" <<'PY'
import sys

import odoo
from odoo.tools import config

conf, db, lang = sys.argv[1:4]
config.parse_config(["-c", conf, "--log-level=warn"])
config["list_db"] = True  # the database service's own check; nothing is served here
odoo.service.db.exp_create_database(db, True, lang, country_code="FR")
with odoo.modules.registry.Registry(db).cursor() as cr:
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
    if env.ref("base.main_company").country_id.code != "FR":
        sys.exit(f"creating {db} failed (see the log above)")
    for other in {"fr_FR", "en_US"} - {lang}:
        env["res.lang"]._activate_lang(other)
        env["ir.module.module"].search([("state", "=", "installed")])._update_translations(other)
PY
}

setup_all() {
    ensure_system_packages
    ensure_services
    ensure_odoo_source
    ensure_venv
}

CARSHARE_ADDONS="carshare_fleet,carshare_booking,carshare_billing,carshare_billing_fr,carshare_payment,carshare_payment_stripe,carshare_reversal,carshare_reversal_stripe,carshare_billing_sepa,carshare_iot,carshare_portal,carshare_neighbours,carshare_gbfs,carshare_gbfs_billing,carshare_portal_billing,carshare_portal_payment,carshare_portal_sepa,carshare_portal_iot"
