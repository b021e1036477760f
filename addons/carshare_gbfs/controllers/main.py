from werkzeug.http import http_date, parse_etags

from odoo import fields, http
from odoo.http import request

from ..models.carshare_gbfs_feed import FEEDS

ROUTE = {
    "type": "http",
    "auth": "public",
    "methods": ["GET", "HEAD"],
    "cors": "*",
    "save_session": False,
    "readonly": False,
    "csrf": False,
}


class GbfsController(http.Controller):
    """The GBFS feeds: public, read-only, served from the database cache with validators."""

    @http.route("/gbfs/manifest.json", **ROUTE)
    def manifest(self):
        return self._serve(request.env["carshare.community"], "3.0", "manifest")

    @http.route("/gbfs/3.1-RC3/manifest.json", **ROUTE)
    def manifest_31(self):
        return self._serve(request.env["carshare.community"], "3.1-RC3", "manifest")

    @http.route("/gbfs/<string:system_id>/<string:feed>.json", **ROUTE)
    def feed(self, system_id, feed):
        return self._feed(system_id, "3.0", feed)

    @http.route("/gbfs/<string:system_id>/3.1-RC3/<string:feed>.json", **ROUTE)
    def feed_31(self, system_id, feed):
        return self._feed(system_id, "3.1-RC3", feed)

    def _feed(self, system_id, version, feed):
        builder = request.env["carshare.gbfs.feed"]
        community = builder._published(system_id)
        if not community or feed not in FEEDS[version]:
            return self._not_found()
        if feed == "system_pricing_plans" and not builder._has_pricing_plans(community):
            return self._not_found()
        return self._serve(community, version, feed)

    def _serve(self, community, version, feed):
        builder = request.env["carshare.gbfs.feed"]
        key, (etag, last_updated, ttl, expires) = builder._document(community, version, feed)
        max_age = max(0, int((expires - fields.Datetime.now()).total_seconds()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Cache-Control": f"public, max-age={min(ttl, max_age)}",
            "ETag": etag,
            "Last-Modified": http_date(last_updated),
        }
        if parse_etags(request.httprequest.headers.get("If-None-Match")).contains(etag.strip('"')):
            return request.make_response(b"", headers=list(headers.items()), status=304)
        body = request.env["carshare.gbfs.document"].sudo()._body(key)
        return request.make_response(body, headers=list(headers.items()))

    def _not_found(self):
        return request.make_json_response(
            {"error": "No published GBFS feed at this address."}, status=404
        )
