from odoo import api, fields, models

from odoo.addons.payment import utils as payment_utils


class CarshareStripePayoutLine(models.Model):
    _name = "carshare.stripe.payout.line"
    _description = "Stripe Balance Transaction"
    _order = "payout_id, id"

    payout_id = fields.Many2one(
        "carshare.stripe.payout", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="payout_id.company_id", store=True)
    currency_id = fields.Many2one(related="payout_id.currency_id")
    name = fields.Char(string="Balance Transaction", required=True, readonly=True)
    kind = fields.Char(string="Type", readonly=True, help="Stripe's type: charge, refund, ...")
    source = fields.Char(readonly=True, help="The Stripe charge or refund.")
    amount = fields.Monetary(string="Gross", readonly=True)
    fee = fields.Monetary(readonly=True, help="Stripe's fee, as Stripe reports it.")
    net = fields.Monetary(readonly=True)
    transaction_id = fields.Many2one("payment.transaction", readonly=True, index="btree_not_null")
    payment_id = fields.Many2one(related="transaction_id.payment_id", store=True)
    community_id = fields.Many2one(
        "carshare.community",
        compute="_compute_community_id",
        store=True,
        index="btree_not_null",
        help="The community of the invoices the payment paid: its statements deduct the fee.",
    )

    @api.depends("transaction_id.invoice_ids.carshare_community_id")
    def _compute_community_id(self):
        for line in self:
            line.community_id = line.transaction_id.invoice_ids.carshare_community_id[:1]

    @api.model
    def _values_from_stripe(self, provider, transaction, currency):
        source = transaction.get("source")
        references = set()
        if isinstance(source, dict):
            references |= {source.get("id"), source.get("payment_intent")}
            source = source.get("id")
        else:
            references.add(source)
            if source and source.startswith("ch_"):
                charge = provider._stripe_make_request(f"charges/{source}", method="GET")
                references.add(charge.get("payment_intent"))
        references.discard(None)
        transactions = self.env["payment.transaction"].search(
            [("provider_id", "=", provider.id), ("provider_reference", "in", list(references))],
            order="id",
        )
        # A partly captured deposit hold shares its intent with the capture that made the payment.
        odoo_transaction = transactions.filtered("payment_id")[:1] or transactions[:1]

        def major(cents):
            return payment_utils.to_major_currency_units(cents, currency)

        return {
            "name": transaction["id"],
            "kind": transaction.get("type"),
            "source": source,
            "amount": major(transaction["amount"]),
            "fee": major(transaction.get("fee", 0)),
            "net": major(transaction["net"]),
            "transaction_id": odoo_transaction.id,
        }
