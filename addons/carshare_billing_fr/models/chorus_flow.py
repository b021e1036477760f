from odoo import api, fields, models


class ChorusFlow(models.Model):
    _inherit = "chorus.flow"

    syntax = fields.Selection(
        selection_add=[("pdf_factur-x", "Factur-X PDF"), ("xml_cii", "CII 16B XML")],
        ondelete={"pdf_factur-x": "set null", "xml_cii": "set null"},
    )

    @api.private
    @api.model
    def syntax_odoo2chorus(self):
        return {
            **super().syntax_odoo2chorus(),
            "pdf_factur-x": "IN_DP_E2_CII_FACTURX",
            "xml_cii": "IN_DP_E1_CII_16B",
        }
