import base64

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request

from .common import (
    DAMAGE_ROWS,
    IMAGE_TYPES,
    REPORT_KINDS,
    CarsharePortalBase,
)


class CarsharePortalReports(CarsharePortalBase):
    """Check-out and check-in reports, their photos."""

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
