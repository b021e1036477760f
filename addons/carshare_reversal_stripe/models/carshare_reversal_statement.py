from odoo import Command, fields, models


class CarshareReversalStatement(models.Model):
    _inherit = "carshare.reversal.statement"

    payout_line_ids = fields.Many2many(
        "carshare.stripe.payout.line",
        "carshare_reversal_statement_payout_rel",
        "statement_id",
        "payout_line_id",
        string="Stripe Fees Deducted",
        readonly=True,
        copy=False,
    )
    stripe_fee_amount = fields.Monetary(string="Stripe's Fees", readonly=True, copy=False)

    def _carshare_fees_deducted(self, revenue_lines):
        """Stripe's fees of the payouts settling the revenue, recorded on the statement."""
        fees = super()._carshare_fees_deducted(revenue_lines)
        payout_lines = self.env["carshare.stripe.payout.line"]
        if self.rule_id.deduct_stripe_fees:
            payout_lines = self._payout_lines(revenue_lines)
        stripe_fees = sum(payout_lines.mapped("fee"))
        self.write(
            {
                "payout_line_ids": [Command.set(payout_lines.ids)],
                "stripe_fee_amount": self.currency_id.round(stripe_fees),
            }
        )
        return fees + stripe_fees

    def _payout_lines(self, revenue_lines):
        """Stripe's charges of the community settled by the payouts reconciled up to the end of
        the period and not deducted yet, whose invoices are all reversed (by this statement or
        an earlier one): the fee of a payment whose revenue is not reversed (an excess still
        partly unpaid) is not deducted from the others'."""
        self.ensure_one()
        deducted = self.search(
            [("community_id", "=", self.community_id.id), ("state", "!=", "draft")]
        ).payout_line_ids
        lines = self.env["carshare.stripe.payout.line"].search(
            [
                ("community_id", "=", self.community_id.id),
                ("payout_id.state", "=", "reconciled"),
                ("payout_id.arrival_date", "<=", self.date_to),
                ("id", "not in", deducted.ids),
            ]
        )
        reversed_moves = revenue_lines.move_id

        def reversed_invoices(line):
            invoices = line.transaction_id.invoice_ids
            return invoices and all(
                move in reversed_moves
                or move.invoice_line_ids.filtered("carshare_reversal_statement_id")
                for move in invoices
            )

        return lines.filtered(reversed_invoices)
