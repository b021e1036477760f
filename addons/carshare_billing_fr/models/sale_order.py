from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _prepare_invoice(self):
        values = super()._prepare_invoice()
        if self.carshare_community_id:
            values.update(
                # Chorus Pro: service code, legal commitment and public contract numbers.
                buyer_reference=self.partner_invoice_id.fr_chorus_service_id.code or False,
                purchase_order_reference=self.client_order_ref or False,
                contract_reference=self.partner_id.commercial_partner_id.carshare_contract_ref,
            )
        return values
