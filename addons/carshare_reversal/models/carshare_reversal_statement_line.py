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
    tax_ids = fields.Many2many(
        "account.tax", string="Taxes", help="VAT of the bill, on top of the amount."
    )
    account_id = fields.Many2one("account.account", string="Expense Account")
    move_id = fields.Many2one("account.move", string="Vendor Bill", readonly=True, copy=False)
    payment_id = fields.Many2one("account.payment", readonly=True, copy=False)

    def _carshare_create_bill(self):
        statement = self.statement_id
        product = self.env.ref("carshare_reversal.product_carshare_reversal")
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
                        "account_id": self.account_id.id,
                        "tax_ids": [Command.set(self.tax_ids.ids)],
                    }
                )
            ],
        }
        if statement.rule_id.journal_id.type == "purchase":
            values["journal_id"] = statement.rule_id.journal_id.id
        bill = self.env["account.move"].with_company(self.company_id).create(values)
        bill.action_post()
        return bill

    def _carshare_pay_bill(self):
        """Pay the beneficiary's bill from the rule's bank journal, as Odoo's "Pay" button
        does: the payment settles the bill's payable."""
        statement = self.statement_id
        return (
            self.env["account.payment.register"]
            .with_company(self.company_id)
            .with_context(active_model="account.move", active_ids=self.move_id.ids)
            .create(
                {
                    "journal_id": statement.rule_id.journal_id.id,
                    "payment_date": fields.Date.context_today(self),
                    "communication": statement.name,
                }
            )
            ._create_payments()
        )
