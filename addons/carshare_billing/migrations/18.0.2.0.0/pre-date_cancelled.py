from openupgradelib import openupgrade


@openupgrade.migrate()
def migrate(env, version):
    # carshare_booking's own 18.0.1.1.0 migration moves the field too, but only when
    # carshare_booking is updated: updating the billing alone would drop the column.
    openupgrade.update_module_moved_fields(
        env.cr, "carshare.booking", ["date_cancelled"], "carshare_billing", "carshare_booking"
    )
