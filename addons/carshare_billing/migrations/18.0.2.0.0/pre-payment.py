"""Card payments and deposits move to carshare_payment, Stripe's payouts and webhook events
to carshare_payment_stripe, the reversal's deduction of Stripe's fees to carshare_reversal_stripe:
their models, fields and records change module with their data, then the addons are installed
in the same run."""

from openupgradelib import openupgrade

from odoo.addons.carshare_fleet.migration import install_as_update

OLD = "carshare_billing"
PAYMENT = "carshare_payment"
STRIPE = "carshare_payment_stripe"
REVERSAL_STRIPE = "carshare_reversal_stripe"

MODELS = {
    PAYMENT: ["carshare.deposit", "carshare.deposit.capture", "carshare.deposit.capture.wizard"],
    STRIPE: ["carshare.stripe.event", "carshare.stripe.payout", "carshare.stripe.payout.line"],
    REVERSAL_STRIPE: [],
}
FIELDS = {
    PAYMENT: {
        "account.move": [
            "carshare_charge_due_at",
            "carshare_dunning_state",
            "carshare_charge_attempts",
            "carshare_charge_error",
            "carshare_refund_due",
        ],
        "carshare.booking": ["carshare_deposit_ids", "carshare_deposit_count"],
        "carshare.community": [
            "charge_delay_hours",
            "charge_retry_hours",
            "charge_max_attempts",
            "deposit_release_days",
            "deposit_hold_days",
        ],
        "payment.transaction": ["carshare_deposit_id"],
        "res.company": ["carshare_card_provider_id"],
    },
    STRIPE: {"res.company": ["carshare_bank_charges_account_id"]},
    REVERSAL_STRIPE: {
        "carshare.reversal.rule": ["deduct_stripe_fees"],
        "carshare.reversal.statement": ["payout_line_ids", "stripe_fee_amount"],
    },
}
XMLIDS = {
    PAYMENT: [
        "action_carshare_deposit",
        "action_carshare_deposit_capture_wizard",
        "carshare_deposit_capture_wizard_view_form",
        "carshare_deposit_view_form",
        "carshare_deposit_view_list",
        "carshare_deposit_view_search",
        "menu_carshare_deposits",
        "ir_cron_carshare_charge_cards",
        "ir_cron_carshare_charge_cards_ir_actions_server",
        "ir_cron_carshare_deposits",
        "ir_cron_carshare_deposits_ir_actions_server",
        "queue_job_function_account_move_charge_card",
        "queue_job_function_account_move_refund_card",
        "mail_template_card_payment_failed",
        "access_carshare_deposit_user",
        "access_carshare_deposit_accountant",
        "access_carshare_deposit_manager",
        "access_carshare_deposit_capture_user",
        "access_carshare_deposit_capture_accountant",
        "access_carshare_deposit_capture_manager",
        "access_carshare_deposit_capture_wizard_accountant",
        "access_carshare_deposit_capture_wizard_manager",
        "rule_carshare_deposit_company",
        "rule_carshare_deposit_capture_company",
    ],
    STRIPE: [
        "action_carshare_stripe_event",
        "action_carshare_stripe_payout",
        "action_carshare_stripe_payout_fetch",
        "carshare_stripe_event_view_list",
        "carshare_stripe_payout_view_form",
        "carshare_stripe_payout_view_list",
        "menu_carshare_stripe_events",
        "menu_carshare_stripe_payout",
        "menu_carshare_stripe_payout_fetch",
        "ir_cron_carshare_stripe_payouts",
        "ir_cron_carshare_stripe_payouts_ir_actions_server",
        "access_carshare_stripe_event_accountant",
        "access_carshare_stripe_payout_accountant",
        "access_carshare_stripe_payout_line_accountant",
        "rule_carshare_stripe_event_company",
        "rule_carshare_stripe_payout_company",
        "rule_carshare_stripe_payout_line_company",
    ],
    REVERSAL_STRIPE: [],
}


def _generated_xmlids(cr, new, prefixes):
    """The records Odoo names after a model or field (selection values, inherits,
    constraints), which openupgradelib's moves leave behind."""
    cr.execute(
        "SELECT name FROM ir_model_data WHERE module = %s AND name LIKE ANY(%s)",
        [OLD, [prefix.replace("_", r"\_") + "%" for prefix in prefixes]],
    )
    return [(f"{OLD}.{name}", f"{new}.{name}") for (name,) in cr.fetchall()]


def _move(cr, new):
    prefixes = []
    for model in MODELS[new]:
        openupgrade.update_module_moved_models(cr, model, OLD, new)
        table = model.replace(".", "_")
        prefixes += [f"selection__{table}__", f"model_inherit__{table}__", f"constraint_{table}_"]
    for model, fields in FIELDS[new].items():
        openupgrade.update_module_moved_fields(cr, model, fields, OLD, new)
        table = model.replace(".", "_")
        prefixes += [f"selection__{table}__{field}__" for field in fields]
    openupgrade.rename_xmlids(
        cr,
        [(f"{OLD}.{name}", f"{new}.{name}") for name in XMLIDS[new]]
        + _generated_xmlids(cr, new, prefixes),
    )


@openupgrade.migrate()
def migrate(env, version):
    _move(env.cr, PAYMENT)
    _move(env.cr, STRIPE)
    _move(env.cr, REVERSAL_STRIPE)
    # the accountants' wording of the dunning mail is theirs: loaded once from now on
    openupgrade.set_xml_ids_noupdate_value(
        env, PAYMENT, ["mail_template_card_payment_failed"], True
    )
    env.cr.execute(
        """UPDATE ir_model_relation SET module = target.id
        FROM ir_module_module old, ir_module_module target
        WHERE ir_model_relation.name = 'carshare_reversal_statement_payout_rel'
        AND ir_model_relation.module = old.id AND old.name = %s AND target.name = %s""",
        [OLD, REVERSAL_STRIPE],
    )
    to_install = [PAYMENT]
    if openupgrade.is_module_installed(env.cr, "payment_stripe"):
        # the reversal's Stripe fees come with it (carshare_reversal by its dependency)
        to_install += [STRIPE, REVERSAL_STRIPE]
    install_as_update(env, to_install)
