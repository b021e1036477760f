from datetime import timedelta

from werkzeug.exceptions import NotFound
from werkzeug.urls import url_encode

from odoo import fields, http
from odoo.exceptions import UserError
from odoo.http import request

from .common import (
    CarsharePortalBase,
)


class CarsharePortalSearch(CarsharePortalBase):
    """Finding a free vehicle and booking it."""

    # -- finding a vehicle -----------------------------------------------------------------------

    @http.route("/my/carshare/vehicles", type="http", auth="user", website=True)
    def carshare_vehicles(self, community_id=None, station_id=None, category=None, **kw):
        memberships = self._carshare_active_memberships(request.env.user.partner_id)
        if not memberships:
            return request.redirect("/my/carshare/signup")
        communities = memberships.community_id
        community = communities.filtered(lambda c: str(c.id) == community_id)[:1] or communities[0]
        station = community.station_ids.filtered(lambda s: str(s.id) == station_id)
        tz = self._carshare_tz(community, station)
        searched = bool(kw.get("date_start") or kw.get("date_end"))
        start = end = None
        date_error = False
        if searched:
            try:
                start = self._carshare_parse_local(kw.get("date_start"), tz)
                end = self._carshare_parse_local(kw.get("date_end"), tz)
            except UserError as exc:
                date_error = exc.args[0]
            else:
                Booking = request.env["carshare.booking"].sudo()
                date_error = Booking._carshare_portal_dates_error(community, start, end)
            if date_error:
                start = end = None
        categories = request.env["fleet.vehicle"]._fields["carshare_category"]
        category = category if category in dict(categories.selection) else None
        values = {
            **self._prepare_portal_layout_values(),
            "page_name": "carshare_vehicles",
            "communities": communities,
            "community": community,
            "station": station,
            "category": category,
            "categories": categories._description_selection(request.env),
            "tz": tz,
            **self._carshare_search_dates(start, end, tz),
        }
        if date_error:
            values.update(
                {
                    "search_error": date_error,
                    "date_start": (kw.get("date_start") or "")[:16] or values["date_start"],
                    "date_end": (kw.get("date_end") or "")[:16] or values["date_end"],
                }
            )
        elif searched:
            values.update(self._carshare_search(community, station, category, start, end, tz))
        return request.render("carshare_portal.portal_carshare_vehicles", values)

    def _carshare_search_dates(self, start, end, tz):
        """Input values of the search form, by default the next full hour for three hours."""
        if not start:
            start = fields.Datetime.now().replace(minute=0, second=0) + timedelta(hours=1)
        if not end or end <= start:
            end = start + timedelta(hours=3)
        return {
            "date_start": self._carshare_to_local(start, tz),
            "date_end": self._carshare_to_local(end, tz),
        }

    def _carshare_search(self, community, station, category, start, end, tz):
        Booking = request.env["carshare.booking"].sudo()
        rows = (
            request.env["carshare.availability"]
            .sudo()
            ._available_vehicles(start, end, station, community, category)
        )
        results = [self._carshare_result(row, community, start, end, tz) for row in rows]
        free = [result for result in results if result["row"]["free"]]
        rule_error = False
        if free:
            values = self._carshare_booking_values(community, free[0]["vehicle"], start, end)
            rule_error = Booking._carshare_portal_preview(values)["error"]
        return {"results": results, "rule_error": rule_error, "searched": True}

    def _carshare_result(self, row, community, start, end, tz):
        vehicle = request.env["fleet.vehicle"].sudo().browse(row["vehicle_id"])
        result = {"row": row, "vehicle": vehicle, "next_free": False}
        query = {
            "vehicle_id": vehicle.id,
            "date_start": fields.Datetime.to_string(start),
            "date_end": fields.Datetime.to_string(end),
        }
        result["book_url"] = f"/my/carshare/book?{self._carshare_query(query)}"
        if not row["free"] and row["next_free"]:
            next_start = fields.Datetime.to_datetime(row["next_free"])
            next_end = next_start + (end - start)
            query = {
                "community_id": community.id,
                "station_id": vehicle.carshare_station_id.id,
                "date_start": self._carshare_to_local(next_start, tz),
                "date_end": self._carshare_to_local(next_end, tz),
            }
            result["next_free"] = self._carshare_format(next_start, tz)
            result["next_free_url"] = f"/my/carshare/vehicles?{self._carshare_query(query)}"
        return result

    @staticmethod
    def _carshare_query(values):
        return url_encode({key: value for key, value in values.items() if value})

    # -- booking ---------------------------------------------------------------------------------

    def _carshare_booking_values(self, community, vehicle, start, end, usage="perso", options=None):
        return {
            "community_id": community.id,
            "partner_id": request.env.user.partner_id.id,
            "vehicle_id": vehicle.id,
            "date_start": start,
            "date_end": end,
            "usage": usage,
            "user_id": community.user_id.id,
            **(options or {}),
        }

    def _carshare_book_options(self, post):
        """Booking values chosen in the booking form besides the use; the bridges add theirs
        (the insurance buy-back with the billing)."""
        return {}

    def _carshare_book_context(self, vehicle_id, date_start, date_end):
        """(membership, vehicle, start, end) of a booking request; NotFound when invalid."""
        try:
            start = fields.Datetime.to_datetime(date_start)
            end = fields.Datetime.to_datetime(date_end)
            vehicle = request.env["fleet.vehicle"].sudo().browse(int(vehicle_id)).exists()
        except (TypeError, ValueError):
            raise NotFound() from None
        memberships = self._carshare_active_memberships(request.env.user.partner_id)
        membership = memberships.filtered(
            lambda m: m.community_id in vehicle.carshare_community_ids
        )[:1]
        if not (start and end and vehicle.carshare_shared and membership):
            raise NotFound()
        return membership, vehicle, start, end

    @http.route(
        "/my/carshare/book",
        type="http",
        auth="user",
        website=True,
        methods=["GET", "POST"],
    )
    def carshare_book(self, vehicle_id=None, date_start=None, date_end=None, **post):
        membership, vehicle, start, end = self._carshare_book_context(
            vehicle_id, date_start, date_end
        )
        usages = ["perso", "pro"] if membership.employer_id else ["perso"]
        usage = post.get("usage") if post.get("usage") in usages else "perso"
        options = self._carshare_book_options(post)
        community = membership.community_id
        Booking = request.env["carshare.booking"].sudo()
        error = Booking._carshare_portal_dates_error(community, start, end)
        if error:
            previews = dict.fromkeys(usages, {"error": error})
        else:
            if request.httprequest.method == "POST":
                error = self._carshare_rate_error(community, "carshare.booking")
                if not error:
                    values = self._carshare_booking_values(
                        community, vehicle, start, end, usage, options
                    )
                    booking, error = Booking._carshare_portal_book(values)
                    if booking:
                        return request.redirect(f"{booking.access_url}?message=confirmed")
            previews = {
                key: Booking._carshare_portal_preview(
                    self._carshare_booking_values(community, vehicle, start, end, key)
                )
                for key in usages
            }
        tz = self._carshare_tz(community, vehicle.carshare_station_id)
        values = {
            **self._prepare_portal_layout_values(),
            "page_name": "carshare_book",
            "membership": membership,
            "community": community,
            "vehicle": vehicle,
            "station": vehicle.carshare_station_id,
            "date_start": fields.Datetime.to_string(start),
            "date_end": fields.Datetime.to_string(end),
            "start_label": self._carshare_format(start, tz),
            "end_label": self._carshare_format(end, tz),
            "usage": usage,
            "options": options,
            "previews": previews,
            "error": error or previews[usage]["error"],
        }
        return request.render("carshare_portal.portal_carshare_book", values)
