import json

from markupsafe import Markup

from odoo import api, fields, models

from ..models.carshare_gbfs_feed import VERSIONS

LIST_KEYS = ("feeds", "versions", "vehicle_types", "stations", "vehicles", "alerts", "plans")


class CarshareGbfsPreview(models.TransientModel):
    """What the community publishes, generated afresh for the manager (nothing is cached)."""

    _name = "carshare.gbfs.preview"
    _description = "Open Data Preview"

    community_id = fields.Many2one("carshare.community", required=True, ondelete="cascade")
    url = fields.Char(related="community_id.gbfs_url")
    summary = fields.Html(compute="_compute_preview", sanitize=False)
    station_status = fields.Text(compute="_compute_preview")

    @api.depends("community_id")
    def _compute_preview(self):
        builder = self.env["carshare.gbfs.feed"]
        for preview in self:
            community = preview.community_id
            preview.summary = preview.station_status = False
            if not community.gbfs_system_id:
                continue
            rows = []
            for version in VERSIONS:
                for feed in builder._feeds(community, version):
                    body = builder._generate(community, version, feed)[0]
                    rows.append(
                        self._row(version, feed, builder._url(community, version, feed), body)
                    )
                    if version == "3.0" and feed == "station_status":
                        preview.station_status = json.dumps(json.loads(body), indent=2)
            preview.summary = Markup(
                "<table class='table table-sm'><thead><tr><th>%s</th><th>%s</th><th>%s</th>"
                "<th class='text-end'>%s</th><th class='text-end'>%s</th></tr></thead>"
                "<tbody>%s</tbody></table>"
            ) % (
                self.env._("Version"),
                self.env._("File"),
                self.env._("Address"),
                self.env._("Entries"),
                self.env._("Size (kB)"),
                Markup("").join(rows),
            )

    @staticmethod
    def _row(version, feed, url, body):
        data = json.loads(body)["data"]
        entries = sum(len(data[key]) for key in LIST_KEYS if isinstance(data.get(key), list))
        return Markup(
            "<tr><td>%s</td><td>%s</td><td><a href='%s' target='_blank'>%s</a></td>"
            "<td class='text-end'>%s</td><td class='text-end'>%s</td></tr>"
        ) % (version, feed, url, url, entries, f"{len(body) / 1024:.1f}")
