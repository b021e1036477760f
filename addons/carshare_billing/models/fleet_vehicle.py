from odoo import api, fields, models

from odoo.addons.carshare_fleet.access import check_view

BILLING_GROUPS = "carshare_fleet.group_carshare_manager,carshare_billing.group_carshare_accountant"


class FleetVehicle(models.Model):
    _inherit = "fleet.vehicle"

    carshare_buyback_revenue = fields.Monetary(
        string="Excess Buy-Backs",
        compute="_compute_carshare_insurance",
        currency_field="currency_id",
        groups=BILLING_GROUPS,
        help="Insurance buy-backs invoiced for the bookings of the vehicle, taxes excluded.",
    )
    carshare_excess_invoiced = fields.Monetary(
        string="Excess Invoiced",
        compute="_compute_carshare_insurance",
        currency_field="currency_id",
        groups=BILLING_GROUPS,
        help="Insurance excesses invoiced to responsible drivers, taxes excluded.",
    )
    carshare_insurance_premiums = fields.Monetary(
        string="Insurance Premiums",
        compute="_compute_carshare_insurance",
        currency_field="currency_id",
        groups=BILLING_GROUPS,
        help="Premiums of the vehicle's insurance contracts (Fleet contracts of the Insurance "
        "type).",
    )
    carshare_claim_count = fields.Integer(string="Claims", compute="_compute_carshare_claim_count")

    def _carshare_invoiced_by_component(self):
        """{(vehicle, component): untaxed amount} of the posted invoices and credit notes."""
        groups = self.env["account.move.line"]._read_group(
            [
                ("carshare_vehicle_id", "in", self.ids),
                ("carshare_component", "in", ("insurance", "excess")),
                ("parent_state", "=", "posted"),
                ("display_type", "=", "product"),
            ],
            ["carshare_vehicle_id", "carshare_component"],
            ["balance:sum"],
        )
        return {(vehicle, component): -balance for vehicle, component, balance in groups}

    def _carshare_premiums(self):
        insurance = self.env.ref(
            "carshare_billing.fleet_service_type_insurance", raise_if_not_found=False
        )
        if not insurance:
            return {}
        groups = self.env["fleet.vehicle.log.contract"]._read_group(
            [
                ("vehicle_id", "in", self.ids),
                ("cost_subtype_id", "=", insurance.id),
                ("state", "!=", "closed"),
            ],
            ["vehicle_id"],
            ["amount:sum"],
        )
        return dict(groups)

    @api.depends_context("company")
    def _compute_carshare_insurance(self):
        invoiced = self._carshare_invoiced_by_component()
        premiums = self._carshare_premiums()
        for vehicle in self:
            vehicle.carshare_buyback_revenue = invoiced.get((vehicle, "insurance"), 0.0)
            vehicle.carshare_excess_invoiced = invoiced.get((vehicle, "excess"), 0.0)
            vehicle.carshare_insurance_premiums = premiums.get(vehicle, 0.0)

    def _compute_carshare_claim_count(self):
        counts = dict(
            self.env["carshare.claim"]._read_group(
                [("vehicle_id", "in", self.ids)], ["vehicle_id"], ["__count"]
            )
        )
        for vehicle in self:
            vehicle.carshare_claim_count = counts.get(vehicle, 0)

    def action_view_carshare_insurance_lines(self):
        check_view(self)
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Insurance Revenue of %(vehicle)s", vehicle=self.display_name),
            "res_model": "account.move.line",
            "view_mode": "list",
            "domain": [
                ("carshare_vehicle_id", "=", self.id),
                ("carshare_component", "in", ("insurance", "excess")),
                ("parent_state", "=", "posted"),
                ("display_type", "=", "product"),
            ],
            "context": {"search_default_group_by_move": 0},
        }

    def action_view_carshare_claims(self):
        check_view(self)
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Claims of %(vehicle)s", vehicle=self.display_name),
            "res_model": "carshare.claim",
            "view_mode": "list,form",
            "domain": [("vehicle_id", "=", self.id)],
            "context": {"default_vehicle_id": self.id},
        }

    def action_view_carshare_insurance_contracts(self):
        check_view(self)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "fleet.fleet_vehicle_log_contract_action"
        )
        insurance = self.env.ref("carshare_billing.fleet_service_type_insurance")
        action["domain"] = [("vehicle_id", "=", self.id), ("cost_subtype_id", "=", insurance.id)]
        action["context"] = {"default_vehicle_id": self.id, "default_cost_subtype_id": insurance.id}
        return action
