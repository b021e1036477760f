# The demo's set-up after the install, run by scripts/run on a new database through
# `odoo shell` (``env`` is given): what the addons' demo data cannot do because it needs the chart
# of accounts (loaded once every addon is installed) or payment_demo (no dependency of the addons).
# pylint: disable=undefined-variable
# ruff: noqa: F821

company = env.ref("base.main_company")

journal = env.ref(f"account.{company.id}_bank")

# Cards without keys: Odoo's demo provider, in its test state, holds the deposits (manual,
# partial capture) and charges the saved cards through the billing's provider-neutral flow; its
# payments go to the bank journal.
provider = env.ref("payment.payment_provider_demo")
provider.write(
    {"state": "test", "capture_manually": True, "is_published": True, "journal_id": journal.id}
)
company.carshare_card_provider_id = provider

# SEPA direct debit of the employers' invoices into the département's bank account.
sdd = env.ref("account_banking_sepa_direct_debit.sepa_direct_debit")
if not journal.bank_account_id:
    journal.bank_account_id = env["res.partner.bank"].create(
        {"acc_number": "FR7630001000640000006100079", "partner_id": company.partner_id.id}
    )
if sdd not in journal.inbound_payment_method_line_ids.payment_method_id:
    journal.inbound_payment_method_line_ids = [(0, 0, {"payment_method_id": sdd.id})]
mode = env["account.payment.mode"].create(
    {
        "name": "Prélèvement SEPA",
        "company_id": company.id,
        "payment_method_id": sdd.id,
        "bank_account_link": "fixed",
        "fixed_journal_id": journal.id,
    }
)
employer = env.ref("carshare_fleet.partner_bocage_logistique").with_company(company)
employer.customer_payment_mode_id = mode

# Chorus Pro wants the payment method on the public body's invoices: a transfer to the bank.
transfer = journal.inbound_payment_method_line_ids.filtered(lambda line: line.code == "manual")[:1]
public_body = env.ref("carshare_fleet.partner_cu_alencon")
(public_body | public_body.child_ids).with_company(company).write(
    {"property_inbound_payment_method_line_id": transfer.id}
)

env.cr.commit()
print(f"demo set-up done: {company.name}, {company.currency_id.name}, {company.chart_template}")
