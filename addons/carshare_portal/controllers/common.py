import io
import math
from datetime import datetime
from pathlib import PurePath

import pytz

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request
from odoo.tools import format_datetime
from odoo.tools.image import ImageProcess, image_apply_opt
from odoo.tools.pdf import PdfFileReader

from odoo.addons.portal.controllers.portal import CustomerPortal

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


class CarsharePortalBase(CustomerPortal):
    """What the carsharing pages share: the home, dates, uploads and texts of the forms."""

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
            raise UserError(
                CarsharePortalBase._carshare_type_message(upload.filename, allowed_types)
            )
        if mimetype == "application/pdf":
            CarsharePortalBase._carshare_check_pdf(content, upload.filename)
        else:
            content = CarsharePortalBase._carshare_reencode_image(
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
                CarsharePortalBase._carshare_type_message(filename, allowed_types)
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
            "documents": request.env._("Your documents are updated: the manager will check them."),
            "requested": request.env._(
                "Your request is sent: you can book once the manager activates your membership."
            ),
        }

    def _carshare_rate_error(self, community, model_name):
        if community.sudo()._carshare_portal_rate_exceeded(model_name, request.env.user):
            return community.sudo()._carshare_portal_rate_message()
        return False

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
