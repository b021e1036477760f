from odoo import http
from odoo.http import request

from odoo.addons.carshare_portal.controllers.common import CarsharePortalBase
from odoo.addons.portal.controllers.portal import pager as portal_pager


class CarsharePortalDeposits(CarsharePortalBase):
    """My deposits: the holds on the driver's card."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "carshare_deposit_count" in counters:
            partner = request.env.user.partner_id
            values["carshare_deposit_count"] = len(self._carshare_deposits(partner))
        return values

    @staticmethod
    def _carshare_deposits(partner):
        """The driver's own deposits: the hold on their card for each personal booking."""
        return request.env["carshare.deposit"].sudo().search([("partner_id", "=", partner.id)])

    @http.route(
        ["/my/carshare/deposits", "/my/carshare/deposits/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def carshare_deposits(self, page=1, **kw):
        deposits = self._carshare_deposits(request.env.user.partner_id)
        pager = portal_pager(
            url="/my/carshare/deposits",
            total=len(deposits),
            page=page,
            step=self._items_per_page,
        )
        offset = pager["offset"]
        values = {
            **self._prepare_portal_layout_values(),
            "page_name": "carshare_deposits",
            "deposits": deposits[offset : offset + self._items_per_page],
            "pager": pager,
        }
        return request.render("carshare_portal_payment.portal_carshare_deposits", values)
