from odoo.addons.carshare_portal.controllers.bookings import CarsharePortalBookings
from odoo.addons.sale.controllers.portal import CustomerPortal


class CarsharePortalBookingsBilling(CarsharePortalBookings, CustomerPortal):
    """The booking's price, cancellation fee and invoices; with sale's portal, whose orders and
    invoices the bookings link to."""

    def _carshare_driver_page_values(self, booking_sudo):
        values = super()._carshare_driver_page_values(booking_sudo)
        return {
            **values,
            "cancellation_fee": values["can_cancel"]
            and booking_sudo._carshare_portal_cancellation_fee(),
            "invoices": booking_sudo.carshare_invoice_ids.filtered(lambda m: m.state == "posted"),
        }
