from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _carshare_add_to_payment_orders(self):
        """Put the invoices paid by direct debit in the draft payment order of their mode."""
        result = super()._carshare_add_to_payment_orders()
        debits = self.filtered(
            lambda m: m.move_type == "out_invoice"
            and m.payment_mode_id.payment_order_ok
            and m.payment_mode_id.payment_type == "inbound"
        )
        if debits:
            debits.create_account_payment_line()
        return result
