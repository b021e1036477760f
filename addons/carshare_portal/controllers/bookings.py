from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import content_disposition, request
from odoo.osv import expression
from odoo.tools import consteq

from odoo.addons.portal.controllers.portal import pager as portal_pager

from .common import (
    UPCOMING_STATES,
    CarsharePortalBase,
)


class CarsharePortalBookings(CarsharePortalBase):
    """The driver's and the employer's bookings, and what the driver does with them."""

    # -- my bookings -----------------------------------------------------------------------------

    @staticmethod
    def _carshare_period_domains():
        now = fields.Datetime.now()
        current = [
            "|",
            ("state", "=", "ongoing"),
            "&",
            ("state", "in", UPCOMING_STATES),
            ("date_end", ">=", now),
        ]
        past = [
            "|",
            ("state", "in", ("done", "cancelled", "no_show")),
            "&",
            ("state", "in", UPCOMING_STATES),
            ("date_end", "<", now),
        ]
        return {
            "upcoming": {
                "label": request.env._("Upcoming"),
                "domain": current,
                "order": "date_start asc, id",
            },
            "past": {
                "label": request.env._("Past"),
                "domain": past,
                "order": "date_start desc, id",
            },
        }

    def _carshare_bookings_page(self, Booking, domain, url, page, filterby, page_name):
        filters = self._carshare_period_domains()
        filterby = filterby if filterby in filters else "upcoming"
        domain = expression.AND([domain, filters[filterby]["domain"]])
        pager = portal_pager(
            url=url,
            total=Booking.search_count(domain),
            page=page,
            step=self._items_per_page,
            url_args={"filterby": filterby},
        )
        bookings = Booking.search(
            domain,
            order=filters[filterby]["order"],
            limit=self._items_per_page,
            offset=pager["offset"],
        )
        request.session["my_carshare_bookings_history"] = bookings.ids[:100]
        values = {
            **self._prepare_portal_layout_values(),
            "page_name": page_name,
            "bookings": bookings.sudo(),
            "pager": pager,
            "default_url": url,
            "searchbar_filters": filters,
            "filterby": filterby,
        }
        return request.render("carshare_portal.portal_carshare_bookings", values)

    @http.route(
        ["/my/carshare/bookings", "/my/carshare/bookings/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def carshare_bookings(self, page=1, filterby=None, **kw):
        domain = self._carshare_driver_domain(request.env.user.partner_id)
        return self._carshare_bookings_page(
            request.env["carshare.booking"],
            domain,
            "/my/carshare/bookings",
            page,
            filterby,
            "carshare_bookings",
        )

    @http.route(
        ["/my/carshare/employees", "/my/carshare/employees/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def carshare_employee_bookings(self, page=1, filterby=None, **kw):
        domain = self._carshare_employer_domain(request.env.user.partner_id)
        return self._carshare_bookings_page(
            request.env["carshare.booking"].sudo(),
            domain,
            "/my/carshare/employees",
            page,
            filterby,
            "carshare_employees",
        )

    # -- one booking -----------------------------------------------------------------------------

    def _carshare_check_booking(self, booking_id, access_token=None):
        """The booking of the driver, of a valid token, or billed to the user's employer."""
        try:
            return self._document_check_access("carshare.booking", booking_id, access_token)
        except (AccessError, MissingError):
            domain = self._carshare_employer_domain(request.env.user.partner_id)
            booking_sudo = (
                request.env["carshare.booking"]
                .sudo()
                .search([("id", "=", booking_id), *domain], limit=1)
            )
            if not booking_sudo:
                raise NotFound() from None
            return booking_sudo

    def _carshare_driver_booking(self, booking_id):
        """The booking of the logged-in driver, for the actions only the driver may take."""
        booking_sudo = self._carshare_check_booking(booking_id)
        if booking_sudo.partner_id != request.env.user.partner_id:
            raise NotFound()
        return booking_sudo

    @http.route("/my/carshare/bookings/<int:booking_id>", type="http", auth="public", website=True)
    def carshare_booking(self, booking_id, access_token=None, message=None, **kw):
        booking_sudo = self._carshare_check_booking(booking_id, access_token)
        values = {"message": self._carshare_messages().get(message)}
        return self._carshare_booking_page(booking_sudo, access_token, values)

    def _carshare_booking_page(self, booking_sudo, access_token=None, values=None):
        is_driver = booking_sudo.partner_id == request.env.user.partner_id
        token_ok = bool(
            access_token
            and booking_sudo.access_token
            and consteq(booking_sudo.access_token, access_token)
        )
        tz = self._carshare_tz(booking_sudo.community_id, booking_sudo.station_id)
        values = {
            **self._prepare_portal_layout_values(),
            "page_name": "carshare_booking",
            "booking": booking_sudo,
            "is_driver": is_driver,
            "show_code": (is_driver or token_ok) and booking_sudo._carshare_portal_code_visible(),
            "tz": tz,
            "date_end_input": self._carshare_to_local(booking_sudo.date_end, tz),
            **(values or {}),
        }
        if is_driver:
            values.update(self._carshare_driver_page_values(booking_sudo))
        values = self._get_page_view_values(
            booking_sudo, access_token, values, "my_carshare_bookings_history", False
        )
        return request.render("carshare_portal.portal_carshare_booking", values)

    def _carshare_driver_page_values(self, booking_sudo):
        """What the driver may do on the booking's page; the bridges add theirs."""
        return {
            "can_cancel": booking_sudo._carshare_portal_can_cancel(),
            "can_extend": booking_sudo._carshare_portal_can_extend(),
            "report_kinds": booking_sudo._carshare_portal_report_kinds(),
            "reports": booking_sudo.inspection_ids,
        }

    @http.route(
        "/my/carshare/bookings/<int:booking_id>/ics", type="http", auth="public", website=True
    )
    def carshare_booking_ics(self, booking_id, access_token=None, **kw):
        booking_sudo = self._carshare_check_booking(booking_id, access_token)
        content = booking_sudo._carshare_portal_ics().encode()
        filename = f"{booking_sudo.name.replace('/', '-')}.ics"
        headers = [
            ("Content-Type", "text/calendar; charset=utf-8"),
            ("Content-Length", len(content)),
            ("Content-Disposition", content_disposition(filename)),
        ]
        return request.make_response(content, headers)

    @http.route(
        "/my/carshare/bookings/<int:booking_id>/cancel",
        type="http",
        auth="user",
        website=True,
        methods=["POST"],
    )
    def carshare_booking_cancel(self, booking_id, **kw):
        booking_sudo = self._carshare_driver_booking(booking_id)

        def cancel():
            if not booking_sudo._carshare_portal_can_cancel():
                raise UserError(request.env._("This booking can no longer be cancelled."))
            booking_sudo.action_cancel()

        return self._carshare_booking_action(booking_sudo, cancel, "cancelled")

    def _carshare_booking_action(self, booking_sudo, action, message):
        """Run ``action`` for the driver: back to the booking with ``message``, or with the
        reason the action was refused."""
        try:
            action()
        except UserError as exc:
            return self._carshare_booking_page(booking_sudo, values={"error": exc.args[0]})
        return request.redirect(f"{booking_sudo.access_url}?message={message}")

    @http.route(
        "/my/carshare/bookings/<int:booking_id>/extend",
        type="http",
        auth="user",
        website=True,
        methods=["POST"],
    )
    def carshare_booking_extend(self, booking_id, date_end=None, **kw):
        booking_sudo = self._carshare_driver_booking(booking_id)
        tz = self._carshare_tz(booking_sudo.community_id, booking_sudo.station_id)

        def extend():
            booking_sudo._carshare_portal_extend(self._carshare_parse_local(date_end, tz))

        return self._carshare_booking_action(booking_sudo, extend, "extended")
