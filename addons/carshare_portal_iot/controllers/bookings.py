from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

from odoo.addons.carshare_portal.controllers.bookings import CarsharePortalBookings


class CarsharePortalBookingsIot(CarsharePortalBookings):
    """The button that opens the vehicle's key box."""

    def _carshare_messages(self):
        return {
            **super()._carshare_messages(),
            "unlocked": request.env._("The vehicle is being unlocked."),
        }

    def _carshare_driver_page_values(self, booking_sudo):
        return {
            **super()._carshare_driver_page_values(booking_sudo),
            "can_unlock": booking_sudo._carshare_portal_can_unlock(),
        }

    @http.route(
        "/my/carshare/bookings/<int:booking_id>/unlock",
        type="http",
        auth="user",
        website=True,
        methods=["POST"],
    )
    def carshare_booking_unlock(self, booking_id, **kw):
        booking_sudo = self._carshare_driver_booking(booking_id)

        def unlock():
            if not booking_sudo._carshare_portal_can_unlock():
                raise UserError(request.env._("This vehicle cannot be unlocked from here now."))
            booking_sudo.action_iot_unlock()

        return self._carshare_booking_action(booking_sudo, unlock, "unlocked")
