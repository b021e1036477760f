"""The rows of the old message log into the partitioned one (see pre-migrate.py)."""

from odoo import SUPERUSER_ID, api

OLD = "carshare_iot_message_unpartitioned"
COLUMNS = (
    "id, direction, device_id, company_id, topic, channel, message_type, message_id, dedup_key, "
    "state, result, excerpt, booking_id, command_id, create_uid, create_date, write_uid, "
    "write_date"
)


def migrate(cr, version):
    cr.execute("SELECT to_regclass(%s)", [OLD])
    if not cr.fetchone()[0]:
        return
    cr.execute(f"SELECT min(coalesce(device_ts, create_date)) FROM {OLD}")
    first = cr.fetchone()[0]
    if first:
        api.Environment(cr, SUPERUSER_ID, {})["carshare.iot.message"]._ensure_partitions(first)
    cr.execute(
        f"INSERT INTO carshare_iot_message ({COLUMNS}, device_ts) "
        f"SELECT {COLUMNS}, coalesce(device_ts, create_date, now() at time zone 'UTC') FROM {OLD}"
    )
    cr.execute(f"DROP TABLE {OLD}")
