from datetime import timedelta

from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    carshare_sepa_notice_days = fields.Integer(
        string="SEPA Pre-Notification (days)",
        default=14,
        help="A direct debit is collected at the earliest this many calendar days after its "
        "payment order is confirmed: the SEPA rulebook's pre-notification period (14 days "
        "unless the mandate's terms agree a shorter one).",
    )

    _sql_constraints = [
        (
            "carshare_sepa_notice_days_positive",
            "CHECK(carshare_sepa_notice_days >= 0)",
            "The SEPA pre-notification period cannot be negative.",
        ),
    ]

    def _carshare_first_collection_date(self, day):
        """The earliest direct-debit collection date of a payment order confirmed on ``day``."""
        self.ensure_one()
        return day + timedelta(days=self.carshare_sepa_notice_days)
