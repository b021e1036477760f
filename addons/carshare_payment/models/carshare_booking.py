from odoo import api, fields, models

from odoo.addons.carshare_fleet.access import check_view


class CarshareBooking(models.Model):
    _inherit = "carshare.booking"

    carshare_deposit_ids = fields.One2many(
        "carshare.deposit", "booking_id", string="Deposits", readonly=True
    )
    carshare_deposit_count = fields.Integer(
        string="Deposit Count", compute="_compute_carshare_deposit_count"
    )

    @api.depends("carshare_deposit_ids")
    def _compute_carshare_deposit_count(self):
        for booking in self:
            booking.carshare_deposit_count = len(booking.carshare_deposit_ids)

    def _on_booking_confirmed(self):
        result = super()._on_booking_confirmed()
        self._carshare_hold_deposits()
        return result

    def _carshare_hold_deposits(self):
        """Hold the community's deposit on the driver's card for personal use, where the
        company takes cards."""
        Deposit = self.env["carshare.deposit"]
        bookings = self.sudo().filtered(
            lambda b: b.usage == "perso"
            and b.community_id.deposit_amount > 0
            and not b.carshare_deposit_ids
            and Deposit._holds_cards(b.company_id)
        )
        if bookings:
            Deposit._carshare_create_for(bookings)

    def _on_booking_closed(self, previous_state):
        result = super()._on_booking_closed(previous_state)
        for state, bookings in self.grouped("state").items():
            bookings.sudo().carshare_deposit_ids._carshare_booking_ended(state)
        return result

    def action_view_carshare_deposits(self):
        check_view(self)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "carshare_payment.action_carshare_deposit"
        )
        action["domain"] = [("booking_id", "=", self.id)]
        if len(self.carshare_deposit_ids) == 1:
            action.update(
                view_mode="form", res_id=self.carshare_deposit_ids.id, views=[(False, "form")]
            )
        return action
