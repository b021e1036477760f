from datetime import timedelta

from odoo import api, fields, models


class ReportCarshareCommunityStatement(models.AbstractModel):
    _name = "report.carshare_billing.report_community_statement"
    _description = "Carsharing Monthly Statement"

    @api.model
    def _get_report_values(self, docids, data=None):
        date_from, date_to = self._period(data or {})
        communities = self.env["carshare.community"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "carshare.community",
            "docs": communities,
            "date_from": date_from,
            "date_to": date_to,
            "statements": {
                community.id: self._statement(community, date_from, date_to)
                for community in communities
            },
        }

    @api.model
    def _period(self, data):
        """The period asked for, by default the previous month."""
        if data.get("date_from") and data.get("date_to"):
            return fields.Date.to_date(data["date_from"]), fields.Date.to_date(data["date_to"])
        last_day = fields.Date.context_today(self).replace(day=1) - timedelta(days=1)
        return last_day.replace(day=1), last_day

    @api.model
    def _statement(self, community, date_from, date_to):
        invoices = self.env["account.move"].search(
            [
                ("carshare_community_id", "=", community.id),
                ("state", "=", "posted"),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("invoice_date", ">=", date_from),
                ("invoice_date", "<=", date_to),
            ],
            order="invoice_date, name",
        )
        line_domain = [("move_id", "in", invoices.ids), ("display_type", "=", "product")]
        Line = self.env["account.move.line"]
        labels = dict(Line._fields["carshare_component"]._description_selection(self.env))
        components = [
            (labels.get(component, self.env._("Other")), -balance)
            for component, balance in Line._read_group(
                line_domain, ["carshare_component"], ["balance:sum"]
            )
        ]
        vehicles = [
            (vehicle.display_name or self.env._("No vehicle"), -balance)
            for vehicle, balance in Line._read_group(
                line_domain, ["carshare_vehicle_id"], ["balance:sum"]
            )
        ]
        return {
            "invoices": invoices,
            "components": sorted(components, key=lambda row: -row[1]),
            "vehicles": sorted(vehicles, key=lambda row: -row[1]),
            "untaxed": sum(invoices.mapped("amount_untaxed_signed")),
            "tax": sum(invoices.mapped("amount_tax_signed")),
            "total": sum(invoices.mapped("amount_total_signed")),
            "currency": community.currency_id,
        }
