from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _carshare_is_self_billed(self):
        """A beneficiary's bill of a revenue reversal, issued by the company (autofacturation)."""
        return super()._carshare_is_self_billed() or (
            self.move_type in ("in_invoice", "in_refund")
            and bool(
                self.env["carshare.reversal.statement.line"]
                .sudo()
                .search_count([("move_id", "=", self.id)], limit=1)
            )
        )
