from odoo import fields, models

from odoo.addons.carshare_fleet.access import check_groups


class AccountPaymentOrder(models.Model):
    _inherit = "account.payment.order"

    def draft2open(self):
        """Direct debits: the collection date leaves the debtor the pre-notification period
        (the company's setting) from the order's confirmation, whatever the order's preferred
        date says."""
        check_groups(self.env, "account_payment_order.group_account_payment")
        self.check_access("write")
        result = super().draft2open()
        today = fields.Date.context_today(self)
        for order in self.filtered(lambda o: o.payment_type == "inbound"):
            earliest = order.company_id._carshare_first_collection_date(today)
            early = order.payment_line_ids.filtered(lambda line, day=earliest: line.date < day)
            if not early:
                continue
            early.date = earliest
            payments = order.payment_ids.filtered(lambda p, lines=early: p.payment_line_ids & lines)
            payments.date = earliest
        return result
