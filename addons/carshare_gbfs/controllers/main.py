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
        return self._serve("3.0", "manifest", request.env["carshare.community"])

    @http.route("/gbfs/3.1-RC3/manifest.json", **ROUTE)
    def manifest_31(self):
        return self._serve("3.1-RC3", "manifest", request.env["carshare.community"])

    @http.route("/gbfs/<string:system_id>/<string:feed>.json", **ROUTE)
    def feed(self, system_id, feed):
        return self._feed(system_id, "3.0", feed)

    @http.route("/gbfs/<string:system_id>/3.1-RC3/<string:feed>.json", **ROUTE)
    def feed_31(self, system_id, feed):
        return self._feed(system_id, "3.1-RC3", feed)

    def _feed(self, system_id, version, feed):
        if feed not in FEEDS[version]:
            return self._not_found()
        return self._serve(version, feed, system_id=system_id)

    def _community(self, system_id, version, feed):
        """The published community of ``system_id`` when it publishes ``feed``, else None."""
        builder = request.env["carshare.gbfs.feed"]
        community = builder._published(system_id)
        if not community:
            return None
        if feed == "system_pricing_plans" and not builder._has_pricing_plans(community):
            return None
        return community

    def _serve(self, version, feed, community=None, system_id=None):
        """The cached copy in one query when fresh (copies are dropped when a community stops
        publishing); else the community is looked up and the file generated."""
        documents = request.env["carshare.gbfs.document"].sudo()
        conditional = request.httprequest.headers.get("If-None-Match")
        key = f"{system_id}/{version}/{feed}" if system_id else f"_operator/{version}/{feed}"
        fresh = documents._fresh(key, with_body=not conditional)
        if fresh:
            etag, last_updated, ttl, expires, body = fresh
        else:
            if system_id:
                community = self._community(system_id, version, feed)
                if community is None:
                    return self._not_found()
            builder = request.env["carshare.gbfs.feed"]
            generated = builder._generate(community, version, feed)
            etag, last_updated, ttl, expires = documents._store(
                key, community, version, feed, generated
            )
            body = None
        max_age = max(0, int((expires - fields.Datetime.now()).total_seconds()))
        headers = [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Cache-Control", f"public, max-age={min(ttl, max_age)}"),
            ("ETag", etag),
            ("Last-Modified", http_date(last_updated)),
        ]
        if conditional and parse_etags(conditional).contains(etag.strip('"')):
            return request.make_response(b"", headers=headers, status=304)
        if body is None:
            body = documents._body(key)
        return request.make_response(body, headers=headers)

    def _not_found(self):
        return request.make_json_response(
            {"error": "No published GBFS feed at this address."}, status=404
        )
