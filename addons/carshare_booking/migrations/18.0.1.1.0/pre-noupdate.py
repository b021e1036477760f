from openupgradelib import openupgrade


@openupgrade.migrate()
def migrate(env, version):
    # Administrators tune the crons and activity types: loaded once from now on.
    openupgrade.set_xml_ids_noupdate_value(
        env,
        "carshare_booking",
        [
            "ir_cron_booking_no_show",
            "ir_cron_booking_late_return",
            "ir_cron_booking_reminders",
            "ir_cron_booking_transfer",
            "mail_activity_type_vehicle_transfer",
            "mail_activity_type_distance_check",
        ],
        True,
    )
