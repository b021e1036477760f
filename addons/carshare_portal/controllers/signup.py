import base64

from dateutil.relativedelta import relativedelta
from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.exceptions import UserError
from odoo.http import request

from .common import (
    DOCUMENT_TYPES,
    DRIVER_DATE_FIELDS,
    DRIVER_FILE_FIELDS,
    IDENTITY_FIELDS,
    REQUIRED_FIELDS,
    CarsharePortalBase,
)


class CarsharePortalSignup(CarsharePortalBase):
    """Sign-up and the driver's documents."""

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
