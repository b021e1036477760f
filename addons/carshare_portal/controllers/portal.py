import base64
import io
import math
from datetime import datetime, timedelta
from pathlib import PurePath

import pytz
from dateutil.relativedelta import relativedelta
from werkzeug.exceptions import NotFound
from werkzeug.urls import url_encode

from odoo import fields, http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import content_disposition, request
from odoo.osv import expression
from odoo.tools import consteq, format_datetime
from odoo.tools.image import ImageProcess, image_apply_opt
from odoo.tools.pdf import PdfFileReader

from odoo.addons.payment import utils as payment_utils
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.addons.sale.controllers.portal import CustomerPortal

from ..models.carshare_booking import IOT_UNLOCK_METHOD

# File types accepted from the portal, told by their first bytes, never by their name.
MAGIC_NUMBERS = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"%PDF-": "application/pdf",
}
IMAGE_TYPES = ("image/jpeg", "image/png")
DOCUMENT_TYPES = (*IMAGE_TYPES, "application/pdf")
INPUT_FORMAT = "%Y-%m-%dT%H:%M"
DAMAGE_ROWS = 3
REPORT_KINDS = ("checkout", "checkin")
UPCOMING_STATES = ("draft", "confirmed")
DRIVER_DATE_FIELDS = (
    "carshare_birthdate",
    "driving_licence_issue_date",
    "driving_licence_expiry_date",
)
DRIVER_FILE_FIELDS = ("driving_licence_scan", "proof_of_address")
IDENTITY_FIELDS = ("name", "phone", "street", "zip", "city")
# Longest text accepted from the portal, by form field.
TEXT_LIMITS = {
    "name": 128,
    "phone": 32,
    "street": 128,
    "zip": 16,
    "city": 64,
    "driving_licence_number": 32,
    "remarks": 2000,
    "damage_description": 256,
}
FILENAME_LIMIT = 128
# Photos are encoded again: close to the original, still much smaller than a raw file.
JPEG_QUALITY = 90
REQUIRED_FIELDS = (
    "name",
    "street",
    "zip",
    "city",
    "driving_licence_number",
    "carshare_birthdate",
    "driving_licence_category",
    "driving_licence_issue_date",
)


class CarsharePortal(CustomerPortal):
    # -- home ------------------------------------------------------------------------------------

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        partner = request.env.user.partner_id
        Booking = request.env["carshare.booking"]
        readable = Booking.has_access("read")
        if "carshare_booking_count" in counters:
            values["carshare_booking_count"] = (
                Booking.search_count(self._carshare_driver_domain(partner)) if readable else 0
            )
        if "carshare_employee_booking_count" in counters:
            values["carshare_employee_booking_count"] = Booking.sudo().search_count(
                self._carshare_employer_domain(partner)
            )
        if "carshare_mandate_count" in counters:
            values["carshare_mandate_count"] = len(self._carshare_mandates(partner))
        if "carshare_deposit_count" in counters:
            values["carshare_deposit_count"] = len(self._carshare_deposits(partner))
        return values

    @http.route()
    def home(self, **kw):
        response = super().home(**kw)
        partner = request.env.user.partner_id
        response.qcontext["carshare_member"] = bool(self._carshare_active_memberships(partner))
        return response

    @staticmethod
    def _carshare_driver_domain(partner):
        return [("partner_id", "=", partner.id)]

    @staticmethod
    def _carshare_employer_domain(partner):
        return [("usage", "=", "pro"), ("employer_id", "=", partner.commercial_partner_id.id)]

    @staticmethod
    def _carshare_active_memberships(partner):
        return (
            request.env["carshare.membership"]
            .sudo()
            .search([("partner_id", "=", partner.id), ("state", "=", "active")])
        )

    @staticmethod
    def _carshare_deposits(partner):
        """The driver's own deposits: the hold on their card for each personal booking."""
        return request.env["carshare.deposit"].sudo().search([("partner_id", "=", partner.id)])

    @staticmethod
    def _carshare_mandates(partner):
        return (
            request.env["account.banking.mandate"]
            .sudo()
            .search([("partner_id", "child_of", partner.commercial_partner_id.id)])
        )

    # -- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _carshare_tz(community=None, station=None):
        return (
            (station and station.tz)
            or (community and community.station_ids[:1].tz)
            or request.env.user.tz
            or "UTC"
        )

    @staticmethod
    def _carshare_parse_local(value, tz):
        """A datetime-local input in ``tz`` as a naive UTC datetime.

        UserError when it is not a date and time, or is a local time that does not exist (the
        night the clocks go forward) or that happens twice (the night they go back).
        """
        try:
            local = datetime.strptime(value or "", INPUT_FORMAT)
            moment = pytz.timezone(tz).localize(local, is_dst=None)
            return moment.astimezone(pytz.utc).replace(tzinfo=None)
        except (ValueError, OverflowError):
            raise UserError(request.env._("Enter a valid date and time.")) from None
        except pytz.NonExistentTimeError:
            raise UserError(
                request.env._(
                    "%(time)s does not exist in %(tz)s: the clocks go forward that night. "
                    "Choose another time.",
                    time=local.strftime("%Y-%m-%d %H:%M"),
                    tz=tz,
                )
            ) from None
        except pytz.AmbiguousTimeError:
            raise UserError(
                request.env._(
                    "%(time)s happens twice in %(tz)s: the clocks go back that night. "
                    "Choose another time.",
                    time=local.strftime("%Y-%m-%d %H:%M"),
                    tz=tz,
                )
            ) from None

    @staticmethod
    def _carshare_to_local(value, tz):
        """A naive UTC datetime as a datetime-local input value in ``tz``."""
        return pytz.utc.localize(value).astimezone(pytz.timezone(tz)).strftime(INPUT_FORMAT)

    @staticmethod
    def _carshare_format(value, tz):
        return format_datetime(request.env, value, tz=tz, dt_format="short")

    @staticmethod
    def _carshare_read_upload(upload, allowed_types):
        """(content, mimetype) of an uploaded file; UserError when too large or of a wrong type.

        ``(None, None)`` when nothing was uploaded.
        """
        if not upload or not upload.filename:
            return None, None
        max_bytes = request.env["ir.http"]._carshare_max_upload_mb() * 1024 * 1024
        content = upload.read(max_bytes + 1)
        if len(content) > max_bytes:
            raise UserError(
                request.env._(
                    "%(file)s is larger than %(size)s MB.",
                    file=upload.filename,
                    size=max_bytes // (1024 * 1024),
                )
            )
        mimetype = next(
            (kind for magic, kind in MAGIC_NUMBERS.items() if content.startswith(magic)), None
        )
        if mimetype not in allowed_types:
            raise UserError(CarsharePortal._carshare_type_message(upload.filename, allowed_types))
        if mimetype == "application/pdf":
            CarsharePortal._carshare_check_pdf(content, upload.filename)
        else:
            content = CarsharePortal._carshare_reencode_image(
                content, upload.filename, allowed_types
            )
        return content, mimetype

    @staticmethod
    def _carshare_upload_error():
        """Why the form came back unread: its files were too large to be read at all."""
        if request.params.get("upload") != "too_large":
            return False
        return request.env._(
            "The files sent were too large to be read: each must be under %(size)s MB.",
            size=request.env["ir.http"]._carshare_max_upload_mb(),
        )

    @staticmethod
    def _carshare_type_message(filename, allowed_types):
        if "application/pdf" in allowed_types:
            return request.env._("%(file)s is not a JPEG, PNG or PDF file.", file=filename)
        return request.env._("%(file)s is not a JPEG or PNG picture.", file=filename)

    @staticmethod
    def _carshare_reencode_image(content, filename, allowed_types):
        """The picture decoded by Pillow and encoded again in its format: whatever was appended
        to it or hidden in its metadata is left behind."""
        try:
            image = ImageProcess(content, verify_resolution=True)
            options = {"quality": JPEG_QUALITY} if image.original_format == "JPEG" else {}
            return image_apply_opt(image.image, image.original_format, **options)
        except (UserError, OSError, ValueError):
            raise UserError(
                CarsharePortal._carshare_type_message(filename, allowed_types)
            ) from None

    @staticmethod
    def _carshare_check_pdf(content, filename):
        """Open the PDF with the library Odoo ships; refuse what it cannot read."""
        try:
            if not PdfFileReader(io.BytesIO(content)).pages:
                raise ValueError("no page")
        except Exception:  # the PDF library raises errors of many kinds
            raise UserError(
                request.env._("%(file)s cannot be read as a PDF document.", file=filename)
            ) from None

    @staticmethod
    def _carshare_filename(upload):
        """The uploaded file's name, without folders and within the length limit."""
        path = PurePath(upload.filename.replace("\\", "/")).name
        suffix = PurePath(path).suffix[:10]
        return path[: FILENAME_LIMIT - len(suffix)] + suffix if len(path) > FILENAME_LIMIT else path

    @staticmethod
    def _carshare_text(post, name, limit_key=None):
        """A text field of a portal form, stripped; UserError when longer than its limit."""
        value = (post.get(name) or "").strip()
        limit = TEXT_LIMITS[limit_key or name]
        if len(value) > limit:
            raise UserError(
                request.env._("This text is too long: at most %(limit)s characters.", limit=limit)
            )
        return value

    @staticmethod
    def _carshare_messages():
        """Confirmations shown after a redirect, by their key in the query string."""
        return {
            "confirmed": request.env._("Your booking is confirmed."),
            "cancelled": request.env._("Your booking is cancelled."),
            "extended": request.env._("Your booking is extended."),
            "report": request.env._("Thank you: your report is recorded."),
            "unlocked": request.env._("The vehicle is being unlocked."),
            "documents": request.env._("Your documents are updated: the manager will check them."),
            "requested": request.env._(
                "Your request is sent: you can book once the manager activates your membership."
            ),
        }

    def _carshare_rate_error(self, community, model_name):
        if community.sudo()._carshare_portal_rate_exceeded(model_name, request.env.user):
            return community.sudo()._carshare_portal_rate_message()
        return False

    # -- driver's details and documents ----------------------------------------------------------

    def _carshare_driver_values(self, post, identity=False, require_files=False, communities=None):
        """Partner values from a sign-up or documents form: (values, errors).

        ``communities``: whose minimum age the date of birth must give, by default the
        driver's.
        """
        partner = request.env.user.partner_id.sudo()
        text_fields = (*(IDENTITY_FIELDS if identity else ()), "driving_licence_number")
        values, errors = {}, {}
        for name in text_fields:
            try:
                values[name] = self._carshare_text(post, name)
            except UserError as exc:
                errors[name] = exc.args[0]
        for name in DRIVER_DATE_FIELDS:
            try:
                values[name] = fields.Date.to_date(post.get(name) or None) or False
            except ValueError:
                errors[name] = request.env._("This date is not valid.")
        self._carshare_check_driver_dates(
            values, errors, communities or partner.carshare_membership_ids.community_id
        )
        values["driving_licence_category"] = self._carshare_choice(
            partner, "driving_licence_category", post.get("driving_licence_category")
        )
        for name in DRIVER_FILE_FIELDS:
            try:
                content, _mimetype = self._carshare_read_upload(post.get(name), DOCUMENT_TYPES)
            except UserError as exc:
                errors[name] = exc.args[0]
                continue
            if content:
                values[name] = base64.b64encode(content)
                values[f"{name}_filename"] = self._carshare_filename(post[name])
        required = [name for name in REQUIRED_FIELDS if identity or name not in IDENTITY_FIELDS]
        if require_files:
            required += [name for name in DRIVER_FILE_FIELDS if not partner[name]]
        for name in required:
            if not values.get(name):
                errors.setdefault(name, request.env._("This field is required."))
        return values, errors

    @staticmethod
    def _carshare_check_driver_dates(values, errors, communities):
        """Add to ``errors`` the dates out of their bounds: the partner's own (age, licence
        dates), and an age under the communities' minimum."""
        dates = [values.get(name) for name in DRIVER_DATE_FIELDS]
        if any(name in errors for name in DRIVER_DATE_FIELDS):
            return
        partners = request.env["res.partner"].sudo()
        for name, message in partners._carshare_document_date_errors(*dates).items():
            errors.setdefault(name, message)
        born, min_age = dates[0], max(communities.mapped("driver_min_age"), default=0)
        today = fields.Date.context_today(partners)
        too_young = born and relativedelta(today, born).years < min_age
        if too_young and "carshare_birthdate" not in errors:
            errors["carshare_birthdate"] = request.env._(
                "You must be at least %(age)s years old to drive.", age=min_age
            )

    # -- sign-up ---------------------------------------------------------------------------------

    @http.route(
        ["/my/carshare/signup", "/my/carshare/signup/<int:community_id>"],
        type="http",
        auth="user",
        website=True,
        methods=["GET", "POST"],
        carshare_uploads=True,
    )
    def carshare_signup(self, community_id=None, message=None, **post):
        partner = request.env.user.partner_id
        memberships = partner.sudo().carshare_membership_ids
        communities = (
            request.env["carshare.community"]
            .sudo()
            .search(
                [
                    ("portal_signup", "=", True),
                    ("company_id", "=", request.env.company.id),
                    ("id", "not in", memberships.community_id.ids),
                ]
            )
        )
        if community_id:
            community = communities.filtered(lambda c: c.id == community_id)
            if not community:
                raise NotFound()
            if request.httprequest.method == "POST":
                return self._carshare_signup_post(community, post)
            return self._carshare_signup_form(community, {}, {}, self._carshare_upload_error())
        values = {
            **self._prepare_portal_layout_values(),
            "page_name": "carshare_signup",
            "memberships": memberships,
            "communities": communities,
            "message": self._carshare_messages().get(message),
        }
        return request.render("carshare_portal.portal_carshare_signup_list", values)

    def _carshare_signup_form(self, community, post, errors, error_message=None):
        partner = request.env.user.partner_id.sudo()
        values = {
            **self._prepare_portal_layout_values(),
            "page_name": "carshare_signup_form",
            "community": community,
            "partner": partner,
            "post": post,
            "errors": errors,
            "error_message": error_message,
            "audiences": self._carshare_audiences(community),
            "categories": partner._fields["driving_licence_category"].selection,
        }
        return request.render("carshare_portal.portal_carshare_signup_form", values)

    @staticmethod
    def _carshare_audiences(community):
        audiences = dict(
            request.env["carshare.membership"]
            ._fields["audience"]
            ._description_selection(request.env)
        )
        keys = ["resident", "agent"] if community.kind == "public_body" else ["resident"]
        return [(key, audiences[key]) for key in keys]

    def _carshare_signup_post(self, community, post):
        values, errors = self._carshare_driver_values(
            post, identity=True, require_files=True, communities=community
        )
        audience = post.get("audience")
        if audience not in dict(self._carshare_audiences(community)):
            errors["audience"] = request.env._("Choose who you are.")
        if community.charter and not post.get("charter_accepted"):
            errors["charter_accepted"] = request.env._("Accept the charter to join.")
        if errors:
            return self._carshare_signup_form(community, post, errors)
        rate_error = self._carshare_rate_error(community, "carshare.membership")
        if rate_error:
            return self._carshare_signup_form(community, post, {}, rate_error)
        request.env.user.partner_id.sudo()._carshare_portal_update_driver(values)
        membership = (
            request.env["carshare.membership"]
            .sudo()
            .create(
                {
                    "community_id": community.id,
                    "partner_id": request.env.user.partner_id.id,
                    "audience": audience,
                    "state": "requested",
                }
            )
        )
        membership._carshare_portal_notify_request()
        return request.redirect("/my/carshare/signup?message=requested")

    # -- documents -------------------------------------------------------------------------------

    @http.route(
        "/my/carshare/documents",
        type="http",
        auth="user",
        website=True,
        methods=["GET", "POST"],
        carshare_uploads=True,
    )
    def carshare_documents(self, message=None, **post):
        errors = {}
        if request.httprequest.method == "POST":
            values, errors = self._carshare_driver_values(post)
            if not errors:
                request.env.user.partner_id.sudo()._carshare_portal_update_driver(values)
                return request.redirect("/my/carshare/documents?message=documents")
        partner = request.env.user.partner_id.sudo()
        values = {
            **self._prepare_portal_layout_values(),
            "page_name": "carshare_documents",
            "partner": partner,
            "post": post,
            "errors": errors,
            "message": self._carshare_messages().get(message),
            "error": self._carshare_upload_error(),
            "categories": partner._fields["driving_licence_category"].selection,
        }
        return request.render("carshare_portal.portal_carshare_documents", values)

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

    def _carshare_booking_values(
        self, community, vehicle, start, end, usage="perso", buyback=False
    ):
        return {
            "community_id": community.id,
            "partner_id": request.env.user.partner_id.id,
            "vehicle_id": vehicle.id,
            "date_start": start,
            "date_end": end,
            "usage": usage,
            "carshare_insurance_buyback": buyback,
            "user_id": community.user_id.id,
        }

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
        buyback = bool(post.get("insurance_buyback"))
        community = membership.community_id
        Booking = request.env["carshare.booking"].sudo()
        error = Booking._carshare_portal_dates_error(community, start, end)
        if error:
            empty = {"price": None, "buyback_price": None, "error": error}
            previews = dict.fromkeys(usages, empty)
        else:
            if request.httprequest.method == "POST":
                error = self._carshare_rate_error(community, "carshare.booking")
                if not error:
                    values = self._carshare_booking_values(
                        community, vehicle, start, end, usage, buyback
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
            "buyback": buyback,
            "previews": previews,
            "error": error or previews[usage]["error"],
        }
        return request.render("carshare_portal.portal_carshare_book", values)

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
        can_cancel = booking_sudo._carshare_portal_can_cancel()
        invoices = booking_sudo.carshare_invoice_ids.filtered(lambda m: m.state == "posted")
        return {
            "can_cancel": can_cancel,
            "cancellation_fee": can_cancel and booking_sudo._carshare_portal_cancellation_fee(),
            "can_extend": booking_sudo._carshare_portal_can_extend(),
            "report_kinds": booking_sudo._carshare_portal_report_kinds(),
            "can_unlock": booking_sudo._carshare_portal_can_unlock(),
            "invoices": invoices,
            "deposits": booking_sudo.carshare_deposit_ids,
            "reports": booking_sudo.inspection_ids,
            **self._carshare_card_form_values(booking_sudo),
        }

    def _carshare_card_form_values(self, booking_sudo):
        """Odoo's payment form to register the driver's card with the company's card provider
        (Stripe, or payment_demo in test state), for personal use."""
        if booking_sudo.usage != "perso" or booking_sudo.state != "confirmed":
            return {}
        partner = request.env.user.partner_id
        providers = (
            request.env["payment.provider"]
            .sudo()
            ._get_compatible_providers(
                booking_sudo.company_id.id,
                partner.id,
                0.0,
                force_tokenization=True,
                is_validation=True,
            )
            .filtered(
                lambda p: p
                == request.env["payment.provider"]._carshare_card_provider(booking_sudo.company_id)
            )
        )
        if not providers:
            return {}
        methods = (
            request.env["payment.method"]
            .sudo()
            ._get_compatible_payment_methods(providers.ids, partner.id, force_tokenization=True)
        )
        return {
            "card_form": True,
            "mode": "validation",
            "allow_token_selection": False,
            "reference_prefix": payment_utils.singularize_reference_prefix(prefix="V"),
            "partner_id": partner.id,
            "providers_sudo": providers,
            "payment_methods_sudo": methods,
            "tokens_sudo": request.env["payment.token"]
            .sudo()
            ._get_available_tokens(None, partner.id, is_validation=True),
            "transaction_route": "/payment/transaction",
            "landing_route": booking_sudo.access_url,
            "access_token": payment_utils.generate_access_token(partner.id, None, None),
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
            getattr(booking_sudo, IOT_UNLOCK_METHOD)()

        return self._carshare_booking_action(booking_sudo, unlock, "unlocked")

    # -- check-out and check-in reports ----------------------------------------------------------

    @http.route(
        "/my/carshare/bookings/<int:booking_id>/report/<string:kind>",
        type="http",
        auth="user",
        website=True,
        methods=["GET", "POST"],
        carshare_uploads=True,
    )
    def carshare_booking_report(self, booking_id, kind, **post):
        booking_sudo = self._carshare_driver_booking(booking_id)
        if kind not in REPORT_KINDS:
            raise NotFound()
        if kind not in booking_sudo._carshare_portal_report_kinds():
            return request.redirect(booking_sudo.access_url)
        error = self._carshare_upload_error()
        if request.httprequest.method == "POST":
            error = self._carshare_rate_error(booking_sudo.community_id, "carshare.inspection")
            if not error:
                try:
                    self._carshare_file_report(booking_sudo, kind, post)
                except UserError as exc:
                    error = exc.args[0]
                else:
                    return request.redirect(f"{booking_sudo.access_url}?message=report")
        return self._carshare_report_form(booking_sudo, kind, post, error)

    def _carshare_report_form(self, booking_sudo, kind, post, error):
        Inspection = request.env["carshare.inspection"]
        Damage = request.env["carshare.damage"]
        values = {
            **self._prepare_portal_layout_values(),
            "page_name": "carshare_report",
            "booking": booking_sudo,
            "kind": kind,
            "kind_label": dict(Inspection._fields["kind"]._description_selection(request.env))[
                kind
            ],
            "post": post,
            "error": error,
            "cleanliness": Inspection._fields["cleanliness"]._description_selection(request.env),
            "locations": Damage._fields["location"]._description_selection(request.env),
            "severities": Damage._fields["severity"]._description_selection(request.env),
            "damage_rows": range(DAMAGE_ROWS),
        }
        return request.render("carshare_portal.portal_carshare_report", values)

    def _carshare_file_report(self, booking_sudo, kind, post):
        values = {
            "odometer": self._carshare_float(post.get("odometer")),
            "energy_level": self._carshare_float(post.get("energy_level")),
            "cleanliness": self._carshare_choice(
                request.env["carshare.inspection"], "cleanliness", post.get("cleanliness")
            ),
            "remarks": self._carshare_text(post, "remarks"),
        }
        photos = []
        for upload in request.httprequest.files.getlist("photos"):
            content, mimetype = self._carshare_read_upload(upload, IMAGE_TYPES)
            if content:
                photos.append((self._carshare_filename(upload), content, mimetype))
        damages = [
            damage
            for index in range(DAMAGE_ROWS)
            if (damage := self._carshare_damage_values(post, index))
        ]
        booking_sudo._carshare_portal_report(kind, values, photos, damages)

    def _carshare_damage_values(self, post, index):
        description = self._carshare_text(
            post, f"damage_{index}_description", limit_key="damage_description"
        )
        content, _mimetype = self._carshare_read_upload(
            post.get(f"damage_{index}_photo"), IMAGE_TYPES
        )
        if not description:
            if content:
                raise UserError(request.env._("Describe each damage you photograph."))
            return None
        Damage = request.env["carshare.damage"]
        return {
            "description": description,
            "location": self._carshare_choice(
                Damage, "location", post.get(f"damage_{index}_location")
            ),
            "severity": self._carshare_choice(
                Damage, "severity", post.get(f"damage_{index}_severity")
            )
            or "minor",
            "photo": content and base64.b64encode(content),
        }

    @staticmethod
    def _carshare_float(value):
        """A number typed in a form; infinities and NaN are not numbers."""
        try:
            number = float(value or 0.0)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise UserError(
                request.env._("%(value)s is not a number.", value=(value or "")[:32])
            ) from None
        return number

    @staticmethod
    def _carshare_choice(model, field_name, value):
        return value if value in dict(model._fields[field_name].selection) else False

    @http.route(
        "/my/carshare/reports/<int:inspection_id>/photos/<int:attachment_id>",
        type="http",
        auth="user",
    )
    def carshare_report_photo(self, inspection_id, attachment_id, **kw):
        try:
            inspection_sudo = self._document_check_access("carshare.inspection", inspection_id)
        except (AccessError, MissingError):
            raise NotFound() from None
        photo = inspection_sudo.photo_ids.filtered(lambda a: a.id == attachment_id)
        if not photo:
            raise NotFound()
        return request.env["ir.binary"]._get_stream_from(photo).get_response()

    @http.route("/my/carshare/damages/<int:damage_id>/photo", type="http", auth="user")
    def carshare_damage_photo(self, damage_id, **kw):
        try:
            damage_sudo = self._document_check_access("carshare.damage", damage_id)
        except (AccessError, MissingError):
            raise NotFound() from None
        if not damage_sudo.photo:
            raise NotFound()
        return request.env["ir.binary"]._get_image_stream_from(damage_sudo, "photo").get_response()

    # -- deposits --------------------------------------------------------------------------------

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
        return request.render("carshare_portal.portal_carshare_deposits", values)

    # -- SEPA mandates ---------------------------------------------------------------------------

    @http.route("/my/carshare/mandates", type="http", auth="user", website=True)
    def carshare_mandates(self, **kw):
        values = {
            **self._prepare_portal_layout_values(),
            "page_name": "carshare_mandates",
            "mandates": self._carshare_mandates(request.env.user.partner_id),
        }
        return request.render("carshare_portal.portal_carshare_mandates", values)
