from odoo import fields, models


class CarshareCommunity(models.Model):
    _inherit = "carshare.community"

    charge_delay_hours = fields.Integer(
        string="Card Charge Delay (hours)",
        default=24,
        tracking=True,
        help="Personal-use invoices are charged to the driver's card this long after the end "
        "of the booking.",
    )
    charge_retry_hours = fields.Integer(
        string="Card Charge Retry (hours)",
        default=72,
        tracking=True,
        help="After a failed card charge, the card is charged again this long after.",
    )
    charge_max_attempts = fields.Integer(
        string="Card Charge Attempts",
        default=3,
        tracking=True,
        help="Card charges tried on an invoice before leaving it to the accountant's reminders.",
    )
    deposit_release_days = fields.Integer(
        string="Deposit Release (days)",
        default=7,
        tracking=True,
        help="The longest the deposit stays held on the driver's card after the return, "
        "unless a manager captures part of it: it is released as soon as the check-in is "
        "validated without a damage held against the driver and the trip is paid.",
    )
    deposit_hold_days = fields.Integer(
        string="Card Hold Validity (days)",
        default=6,
        tracking=True,
        help="A card hold is renewed after this long, before the card's bank lets it expire "
        "(Stripe: 7 days).",
    )

    def _non_negative_fields(self):
        return super()._non_negative_fields() + [
            "charge_delay_hours",
            "charge_retry_hours",
            "charge_max_attempts",
            "deposit_release_days",
            "deposit_hold_days",
        ]
