from openupgradelib import openupgrade


@openupgrade.migrate()
def migrate(env, version):
    # Administrators tune the purge's schedule: loaded once from now on.
    openupgrade.set_xml_ids_noupdate_value(
        env, "carshare_iot", ["ir_cron_carshare_iot_purge"], True
    )
