from odoo import fields, models

from odoo.addons.carshare_fleet.access import check_view


class ResPartner(models.Model):
    _inherit = "res.partner"

    carshare_booking_count = fields.Integer(
        string="Carsharing Bookings", compute="_compute_carshare_booking_count"
    )

    def _compute_carshare_booking_count(self):
        counts = dict(
            self.env["carshare.booking"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.carshare_booking_count = counts.get(partner, 0)

    def action_view_carshare_bookings(self):
        check_view(self)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "carshare_booking.action_carshare_booking"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action
