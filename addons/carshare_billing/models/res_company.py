from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    fr_chorus_invoice_format = fields.Selection(
        selection_add=[("pdf_factur-x", "Factur-X PDF"), ("xml_cii", "CII 16B XML")],
        ondelete={"pdf_factur-x": "set null", "xml_cii": "set null"},
    )
