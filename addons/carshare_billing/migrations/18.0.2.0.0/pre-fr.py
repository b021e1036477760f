"""French invoicing moves to carshare_billing_fr (issue #19): its model, fields, selection
values and records change module, so that nothing is deleted and created again, and the new
addon installs in the same run. A database without French accounting keeps them in
carshare_billing, whose upgrade then removes them."""

from openupgradelib import openupgrade

OLD, NEW = "carshare_billing", "carshare_billing_fr"

MOVED_FIELDS = {
    "res.company": [
        "fr_chorus_invoice_format",
        "carshare_vat_on_debits",
        "carshare_insurance_vat_exempt",
        "carshare_insurance_tax_id",
        "carshare_late_penalty_rate",
        "carshare_recovery_indemnity",
    ],
    "res.partner": ["carshare_contract_ref"],
    "res.users": ["carshare_contract_ref"],
    "account.payment.method": ["unece_code"],
    "chorus.flow": ["syntax"],
}
# the e-reporting's selection values, and those billing adds to l10n_fr_chorus_account's fields
MOVED_SELECTIONS = [
    ("carshare.ereporting", "kind"),
    ("carshare.ereporting", "tax_exigibility"),
    ("res.company", "fr_chorus_invoice_format"),
    ("chorus.flow", "syntax"),
]

MOVED_XMLIDS = [
    # the models only carshare_billing_fr extends now
    "model_account_chart_template",
    "model_account_edi_xml_cii",
    "model_account_payment_method",
    "model_chorus_flow",
    "access_carshare_ereporting_accountant",
    "carshare_ereporting_company_rule",
    "carshare_ereporting_view_list",
    "carshare_ereporting_view_pivot",
    "carshare_ereporting_view_search",
    "action_carshare_ereporting",
    "menu_carshare_ereporting",
    "action_carshare_invoices_chorus",
    "menu_carshare_invoices_chorus",
    "menu_carshare_chorus_flows",
    "account_invoice_partner_facturx_export_22_carshare",
    "account_invoice_line_facturx_export_22_carshare",
    "account_invoice_facturx_export_22_carshare",
    # demo
    "chorus_service_cu_alencon_fleet",
    "partner_cu_alencon_invoicing",
]


def _move_selections(cr):
    for model, field in MOVED_SELECTIONS:
        openupgrade.logged_query(
            cr,
            """
            UPDATE ir_model_data imd
            SET module = %(new)s
            FROM ir_model_fields_selection sel
            JOIN ir_model_fields imf ON imf.id = sel.field_id
            WHERE imd.model = 'ir.model.fields.selection' AND imd.res_id = sel.id
                AND imd.module = %(old)s AND imf.model = %(model)s AND imf.name = %(field)s
            """,
            {"old": OLD, "new": NEW, "model": model, "field": field},
        )


@openupgrade.migrate()
def migrate(env, version):
    if not openupgrade.is_module_installed(env.cr, "l10n_fr_account"):
        return
    openupgrade.update_module_moved_models(env.cr, "carshare.ereporting", OLD, NEW)
    for model, fields in MOVED_FIELDS.items():
        openupgrade.update_module_moved_fields(env.cr, model, fields, OLD, NEW)
    _move_selections(env.cr)
    openupgrade.rename_xmlids(env.cr, [(f"{OLD}.{name}", f"{NEW}.{name}") for name in MOVED_XMLIDS])
    env["ir.module.module"].search(
        [("name", "=", NEW), ("state", "=", "uninstalled")]
    ).button_install()
