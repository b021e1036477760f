from openupgradelib import openupgrade


@openupgrade.migrate()
def migrate(env, version):
    # The cancellation date is set by carshare_booking's action_cancel now: the column and its
    # values stay, only the field's owner changes.
    openupgrade.update_module_moved_fields(
        env.cr, "carshare.booking", ["date_cancelled"], "carshare_billing", "carshare_booking"
    )
