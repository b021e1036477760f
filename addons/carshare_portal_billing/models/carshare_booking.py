from odoo import api, models
from odoo.exceptions import UserError


class CarshareBooking(models.Model):
    _inherit = "carshare.booking"

    def _carshare_portal_prices(self):
        """Price of the booking without the insurance buy-back, and price of the buy-back,
        taxes included: 0.0 when the driver's yearly insurance covers it, None when the booking
        is not billed."""
        self.ensure_one()
        if not self.community_id.tariff_id:
            return {"price": None, "buyback_price": None}
        try:
            estimate = self._carshare_price_estimate()
        except UserError:
            return {"price": None, "buyback_price": None}
        buyback = sum(
            line["total"] for line in estimate["lines"] if line["component"] == "insurance"
        )
        return {
            "price": estimate["currency"].round(estimate["total"] - buyback),
            "buyback_price": buyback,
        }

    def _carshare_portal_cancellation_fee(self):
        """What cancelling now costs, taxes included."""
        self.ensure_one()
        try:
            return self._carshare_cancellation_fee_estimate()
        except UserError:
            return 0.0

    @api.model
    def _carshare_portal_preview(self, values):
        return {"price": None, "buyback_price": None, **super()._carshare_portal_preview(values)}

    @api.model
    def _carshare_portal_preview_draft(self, values):
        # With the buy-back, so that one estimate prices both.
        return {
            **super()._carshare_portal_preview_draft(values),
            "carshare_insurance_buyback": True,
        }

    def _carshare_portal_preview_values(self):
        return {**super()._carshare_portal_preview_values(), **self._carshare_portal_prices()}

    def _carshare_portal_extend(self, date_end):
        with self.env.cr.savepoint():
            result = super()._carshare_portal_extend(date_end)
            self._carshare_reprice_billing()
        return result
