from openupgradelib import openupgrade

from odoo.addons.carshare_fleet.migration import install_as_update

OLD, NEW = "carshare_billing", "carshare_reversal"
MODELS = (
    "carshare.reversal.rule",
    "carshare.reversal.share",
    "carshare.reversal.statement",
    "carshare.reversal.statement.line",
)
XMLIDS = (
    "access_carshare_reversal_rule_manager",
    "access_carshare_reversal_rule_accountant",
    "access_carshare_reversal_share_manager",
    "access_carshare_reversal_share_accountant",
    "access_carshare_reversal_statement_manager",
    "access_carshare_reversal_statement_accountant",
    "access_carshare_reversal_statement_line_manager",
    "access_carshare_reversal_statement_line_accountant",
    "rule_carshare_reversal_rule_company",
    "rule_carshare_reversal_statement_company",
    "rule_carshare_reversal_share_company",
    "rule_carshare_reversal_statement_line_company",
    "seq_carshare_reversal_statement",
    "product_carshare_reversal",
    "product_carshare_reversal_product_template",
    "ir_cron_carshare_reversal_statements",
    "ir_cron_carshare_reversal_statements_ir_actions_server",
    "constraint_carshare_reversal_rule_community_uniq",
    "model_inherit__carshare_reversal_rule__mail_thread",
    "model_inherit__carshare_reversal_statement__mail_thread",
    "carshare_reversal_rule_view_list",
    "carshare_reversal_rule_view_form",
    "action_carshare_reversal_rule",
    "carshare_reversal_statement_view_list",
    "carshare_reversal_statement_view_form",
    "carshare_reversal_statement_view_search",
    "action_carshare_reversal_statement",
    "action_report_reversal_statement",
    "report_reversal_statement",
    "menu_carshare_reversal_statement",
    "menu_carshare_reversal_rule",
    "partner_reversal_beneficiary_autofree61",
)


@openupgrade.migrate()
def migrate(env, version):
    """Revenue reversal moves to carshare_reversal, with its records and data."""
    for model in MODELS:
        openupgrade.update_module_moved_models(env.cr, model, OLD, NEW)
    openupgrade.update_module_moved_fields(
        env.cr, "account.move.line", ["carshare_reversal_statement_id"], OLD, NEW
    )
    # Selection values are not covered by update_module_moved_models.
    openupgrade.logged_query(
        env.cr,
        """UPDATE ir_model_data SET module = %s
        WHERE module = %s AND model = 'ir.model.fields.selection'
            AND name LIKE 'selection\\_\\_carshare\\_reversal\\_%%'""",
        (NEW, OLD),
    )
    openupgrade.rename_xmlids(env.cr, [(f"{OLD}.{name}", f"{NEW}.{name}") for name in XMLIDS])
    install_as_update(env, [NEW])
