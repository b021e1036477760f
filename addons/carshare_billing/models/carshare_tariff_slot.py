from odoo import api, fields, models
from odoo.exceptions import ValidationError

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class CarshareTariffSlot(models.Model):
    _name = "carshare.tariff.slot"
    _description = "Carsharing Tariff Time Slot"
    _order = "version_id, sequence, id"

    version_id = fields.Many2one(
        "carshare.tariff.version", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="version_id.company_id", store=True)
    currency_id = fields.Many2one(related="version_id.currency_id")
    sequence = fields.Integer(default=10, help="Where slots overlap, the first one applies.")
    name = fields.Char(required=True, translate=True, help="e.g. Night, Weekend, Evening.")
    monday = fields.Boolean()
    tuesday = fields.Boolean()
    wednesday = fields.Boolean()
    thursday = fields.Boolean()
    friday = fields.Boolean()
    saturday = fields.Boolean()
    sunday = fields.Boolean()
    hour_from = fields.Float(string="From", required=True, help="Hour of the day, 0 to 24.")
    hour_to = fields.Float(
        string="To", required=True, default=24.0, help="Hour of the day, 0 to 24."
    )
    hour_price = fields.Monetary(string="Price per Hour")

    @api.constrains("hour_from", "hour_to")
    def _check_hours(self):
        for slot in self:
            if not 0 <= slot.hour_from < slot.hour_to <= 24:
                raise ValidationError(
                    self.env._(
                        "The slot %(slot)s must start before it ends, between 0:00 and 24:00 "
                        "(split a night slot in two: 22:00-24:00 and 0:00-6:00).",
                        slot=slot.name,
                    )
                )

    @api.constrains(*WEEKDAYS)
    def _check_weekdays(self):
        for slot in self:
            if not any(slot[day] for day in WEEKDAYS):
                raise ValidationError(
                    self.env._("Choose the days of the slot %(slot)s.", slot=slot.name)
                )

    @api.constrains("hour_price")
    def _check_hour_price(self):
        for slot in self:
            if slot.hour_price < 0:
                raise ValidationError(
                    self.env._("The price of the slot %(slot)s cannot be negative.", slot=slot.name)
                )

    def _on_weekday(self, weekday):
        """The slots that apply on ``weekday`` (0 is Monday)."""
        return self.filtered(WEEKDAYS[weekday])
