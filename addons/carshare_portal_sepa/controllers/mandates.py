from odoo import http
from odoo.http import request

from odoo.addons.carshare_portal.controllers.common import CarsharePortalBase


class CarsharePortalMandates(CarsharePortalBase):
    """The SEPA mandates of the user's company, that pay its employees' bookings."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "carshare_mandate_count" in counters:
            partner = request.env.user.partner_id
            values["carshare_mandate_count"] = len(self._carshare_mandates(partner))
        return values

    @staticmethod
    def _carshare_mandates(partner):
        return (
            request.env["account.banking.mandate"]
            .sudo()
            .search([("partner_id", "child_of", partner.commercial_partner_id.id)])
        )

    @http.route("/my/carshare/mandates", type="http", auth="user", website=True)
    def carshare_mandates(self, **kw):
        values = {
            **self._prepare_portal_layout_values(),
            "page_name": "carshare_mandates",
            "mandates": self._carshare_mandates(request.env.user.partner_id),
        }
        return request.render("carshare_portal_sepa.portal_carshare_mandates", values)
