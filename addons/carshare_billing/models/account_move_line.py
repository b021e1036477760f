from odoo import fields, models

from .sale_order_line import COMPONENTS


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    carshare_booking_id = fields.Many2one(
        "carshare.booking",
        string="Booking",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
    )
    carshare_component = fields.Selection(COMPONENTS, string="Carsharing Component", readonly=True)
    carshare_vehicle_id = fields.Many2one(
        related="carshare_booking_id.vehicle_id", store=True, string="Shared Vehicle"
    )
    carshare_station_id = fields.Many2one(
        related="carshare_booking_id.station_id", store=True, string="Station"
    )

    def _carshare_service_period(self):
        """The first and last days of the line's booking, in its tariff's timezone; None for
        a line without a booking."""
        self.ensure_one()
        booking = self.carshare_booking_id
        tariff = booking.community_id.tariff_id
        if not (booking and tariff):
            return None
        end = booking.date_return or booking.date_end
        return tariff._local_date(booking.date_start), tariff._local_date(end)

    def _carshare_price_unit_excluded(self):
        """The unit price taxes excluded, as business invoices print it."""
        self.ensure_one()
        if not self.tax_ids.filtered("price_include"):
            return self.price_unit
        return self.tax_ids.compute_all(
            self.price_unit, self.currency_id, 1.0, product=self.product_id, partner=self.partner_id
        )["total_excluded"]
