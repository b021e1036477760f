from openupgradelib import openupgrade

from odoo.addons.carshare_fleet.migration import install_as_update

OLD, NEW = "carshare_billing", "carshare_billing_sepa"
CONSTRAINT = "res_company_carshare_sepa_notice_days_positive"
XMLIDS = (
    "model_account_payment_order",
    f"constraint_{CONSTRAINT}",
    "menu_carshare_payment_orders",
    "bank_account_bocage_logistique",
    "mandate_bocage_logistique",
)


@openupgrade.migrate()
def migrate(env, version):
    """SEPA direct debit moves to carshare_billing_sepa, with its records and data."""
    openupgrade.update_module_moved_fields(
        env.cr, "res.company", ["carshare_sepa_notice_days"], OLD, NEW
    )
    openupgrade.logged_query(
        env.cr,
        """UPDATE ir_model_constraint SET module = new.id
        FROM ir_module_module old, ir_module_module new
        WHERE ir_model_constraint.name = %s AND ir_model_constraint.module = old.id
            AND old.name = %s AND new.name = %s""",
        (CONSTRAINT, OLD, NEW),
    )
    openupgrade.rename_xmlids(env.cr, [(f"{OLD}.{name}", f"{NEW}.{name}") for name in XMLIDS])
    install_as_update(env, [NEW])
