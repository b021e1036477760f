from odoo import fields, models, tools
from odoo.tools import SQL

# Sales to private persons (B2C) are not e-invoiced but e-reported: the amounts per day and VAT
# rate of the invoices (transactions) and, for the VAT due on payment, of the payments received.
KINDS = [("transaction", "Transactions"), ("payment", "Payments Received")]


class CarshareEreporting(models.Model):
    _name = "carshare.ereporting"
    _description = "Carsharing E-Reporting (B2C, per Day and VAT Rate)"
    _auto = False
    _order = "date desc, kind, tax_id"
    _rec_name = "date"

    kind = fields.Selection(KINDS, readonly=True)
    date = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    community_id = fields.Many2one("carshare.community", readonly=True)
    tax_id = fields.Many2one("account.tax", readonly=True)
    rate = fields.Float(string="VAT Rate (%)", readonly=True, aggregator=None)
    tax_exigibility = fields.Selection(
        [("on_invoice", "Based on Invoice"), ("on_payment", "Based on Payment")],
        string="VAT Due",
        readonly=True,
    )
    base_amount = fields.Monetary(string="Taxable Amount", readonly=True)
    tax_amount = fields.Monetary(string="VAT", readonly=True)
    total_amount = fields.Monetary(string="Total", readonly=True)
    move_count = fields.Integer(string="Documents", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %s AS (
                    SELECT row_number() OVER (
                               ORDER BY a.kind, a.date, a.tax_id, a.community_id
                           ) AS id,
                           a.kind, a.date, a.company_id, a.community_id, a.tax_id,
                           tax.amount AS rate, tax.tax_exigibility,
                           SUM(a.base_amount) AS base_amount, SUM(a.tax_amount) AS tax_amount,
                           SUM(a.base_amount + a.tax_amount) AS total_amount,
                           COUNT(DISTINCT a.move_id) AS move_count
                      FROM (%s) AS a
                      JOIN account_tax tax ON tax.id = a.tax_id
                     GROUP BY a.kind, a.date, a.company_id, a.community_id, a.tax_id,
                              tax.amount, tax.tax_exigibility
                )
                """,
                SQL.identifier(self._table),
                self._amounts_query(),
            )
        )

    def _amounts_query(self):
        """Base and VAT amounts, signed as sales, of the B2C carsharing documents: the invoices'
        lines on their date, and the cash basis entries of their payments on theirs."""
        b2c_invoice = SQL(
            """
            invoice.state = 'posted'
            AND invoice.move_type IN ('out_invoice', 'out_refund')
            AND invoice.carshare_community_id IS NOT NULL
            AND NOT COALESCE(customer.is_company, FALSE)
            """
        )
        return SQL(
            """
            SELECT 'transaction' AS kind, invoice.invoice_date AS date, invoice.company_id,
                   invoice.carshare_community_id AS community_id, rel.account_tax_id AS tax_id,
                   -line.balance AS base_amount, 0.0 AS tax_amount, invoice.id AS move_id
              FROM account_move_line line
              JOIN account_move invoice ON invoice.id = line.move_id
              JOIN res_partner customer ON customer.id = invoice.commercial_partner_id
              JOIN account_move_line_account_tax_rel rel ON rel.account_move_line_id = line.id
             WHERE %(b2c)s AND line.display_type = 'product'
            UNION ALL
            SELECT 'transaction', invoice.invoice_date, invoice.company_id,
                   invoice.carshare_community_id, line.tax_line_id, 0.0, -line.balance, invoice.id
              FROM account_move_line line
              JOIN account_move invoice ON invoice.id = line.move_id
              JOIN res_partner customer ON customer.id = invoice.commercial_partner_id
             WHERE %(b2c)s AND line.tax_line_id IS NOT NULL
            UNION ALL
            SELECT 'payment', caba.date, caba.company_id, invoice.carshare_community_id,
                   COALESCE(line.tax_line_id, rel.account_tax_id),
                   CASE WHEN line.tax_line_id IS NULL THEN -line.balance ELSE 0.0 END,
                   CASE WHEN line.tax_line_id IS NULL THEN 0.0 ELSE -line.balance END,
                   caba.id
              FROM account_move caba
              JOIN account_move invoice ON invoice.id = caba.tax_cash_basis_origin_move_id
              JOIN res_partner customer ON customer.id = invoice.commercial_partner_id
              JOIN account_move_line line ON line.move_id = caba.id
              LEFT JOIN account_move_line_account_tax_rel rel
                     ON rel.account_move_line_id = line.id
             WHERE %(b2c)s AND caba.state = 'posted'
               AND (line.tax_line_id IS NOT NULL OR rel.account_tax_id IS NOT NULL)
            """,
            b2c=b2c_invoice,
        )
