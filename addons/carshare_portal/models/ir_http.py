from odoo import models
from odoo.http import request

MEGABYTE = 1024 * 1024


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _pre_dispatch(cls, rule, args):
        """Let the forms of the portal's routes with ``carshare_uploads`` (the number of files
        they take) hold their files in memory: the parser keeps a file without line breaks in
        memory, and refuses it past Odoo's 10 MB with a bare error page, where the route answers
        a file over the size limit with the portal's own message."""
        result = super()._pre_dispatch(rule, args)
        uploads = rule.endpoint.routing.get("carshare_uploads")
        if uploads:
            params = request.env["ir.config_parameter"].sudo()
            max_mb = int(params.get_param("carshare_portal.max_upload_mb", 10))
            size = uploads * (max_mb + 1) * MEGABYTE
            # Odoo's request does not expose the limit of the werkzeug request it wraps.
            httprequest = request.httprequest._HTTPRequest__wrapped
            httprequest.max_form_memory_size = max(httprequest.max_form_memory_size or 0, size)
        return result
