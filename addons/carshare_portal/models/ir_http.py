from werkzeug.exceptions import RequestEntityTooLarge

from odoo import models
from odoo.http import request

MEGABYTE = 1024 * 1024


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _carshare_max_upload_mb(cls):
        """The largest file the portal accepts, in MB (system parameter)."""
        params = request.env["ir.config_parameter"].sudo()
        return int(params.get_param("carshare_portal.max_upload_mb", 10))

    @classmethod
    def _pre_dispatch(cls, rule, args):
        """Let the form parser of the portal's upload routes (``carshare_uploads``) hold a file
        of the portal's size limit: it keeps a file without line breaks in memory, and past
        Odoo's 10 MB refuses the whole form, where the route answers a file over the limit
        with a message on its field."""
        result = super()._pre_dispatch(rule, args)
        request.carshare_upload_route = bool(rule.endpoint.routing.get("carshare_uploads"))
        if request.carshare_upload_route:
            size = (cls._carshare_max_upload_mb() + 1) * MEGABYTE
            # Odoo's request does not expose the limit of the werkzeug request it wraps.
            httprequest = request.httprequest._HTTPRequest__wrapped
            httprequest.max_form_memory_size = max(httprequest.max_form_memory_size or 0, size)
        return result

    @classmethod
    def _handle_error(cls, exception):
        """A form of the portal too large to be read goes back to its page, which says so,
        instead of the bare error page."""
        if isinstance(exception, RequestEntityTooLarge) and getattr(
            request, "carshare_upload_route", False
        ):
            return request.redirect(f"{request.httprequest.path}?upload=too_large")
        return super()._handle_error(exception)
