from odoo import Command, fields, models


class CarshareReversalStatementLine(models.Model):
    _name = "carshare.reversal.statement.line"
    _description = "Carsharing Revenue Reversal Statement Line"
    _order = "statement_id, id"

    statement_id = fields.Many2one(
        "carshare.reversal.statement", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="statement_id.company_id", store=True)
    currency_id = fields.Many2one(related="statement_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Beneficiary", required=True)
    percent = fields.Float(string="Share (%)")
    amount = fields.Monetary()
    move_id = fields.Many2one("account.move", string="Vendor Bill", readonly=True, copy=False)
    payment_id = fields.Many2one("account.payment", readonly=True, copy=False)

    def _carshare_create_bill(self):
        statement = self.statement_id
        product = self.env.ref("carshare_billing.product_carshare_reversal")
        name = self.env._(
            "%(statement)s: revenue of %(community)s from %(start)s to %(end)s, %(share)s %%",
            statement=statement.name,
            community=statement.community_id.name,
            start=statement.date_from,
            end=statement.date_to,
            share=f"{self.percent:g}",
        )
        values = {
            "move_type": "in_invoice",
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "invoice_date": statement.date_to,
            "ref": statement.name,
            "carshare_community_id": statement.community_id.id,
            "invoice_line_ids": [
                Command.create(
                    {
                        "product_id": product.id,
                        "name": name,
                        "quantity": 1,
                        "price_unit": self.amount,
                        # Revenue collected on the collectivity's behalf: no VAT of its own.
                        "tax_ids": [Command.clear()],
                    }
                )
            ],
        }
        if statement.rule_id.journal_id:
            values["journal_id"] = statement.rule_id.journal_id.id
        bill = self.env["account.move"].with_company(self.company_id).create(values)
        bill.action_post()
        return bill

    def _carshare_create_payment(self):
        statement = self.statement_id
        payment = (
            self.env["account.payment"]
            .with_company(self.company_id)
            .create(
                {
                    "payment_type": "outbound",
                    "partner_type": "supplier",
                    "partner_id": self.partner_id.id,
                    "amount": self.amount,
                    "currency_id": self.currency_id.id,
                    "journal_id": statement.rule_id.journal_id.id,
                    "date": fields.Date.context_today(self),
                    "memo": statement.name,
                }
            )
        )
        payment.action_post()
        return payment
