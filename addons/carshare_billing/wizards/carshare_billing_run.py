from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.carshare_fleet.access import ACCOUNTANT_GROUP, check_groups


def _last_month_end(today):
    return today.replace(day=1) - timedelta(days=1)


class CarshareBillingRun(models.TransientModel):
    _name = "carshare.billing.run"
    _description = "Carsharing Month-End Billing"

    date_from = fields.Date(
        string="From",
        required=True,
        default=lambda self: _last_month_end(fields.Date.context_today(self)).replace(day=1),
    )
    date_to = fields.Date(
        string="To",
        required=True,
        default=lambda self: _last_month_end(fields.Date.context_today(self)),
    )
    invoice_date = fields.Date(
        compute="_compute_invoice_date",
        store=True,
        precompute=True,
        readonly=False,
        required=True,
        help="Date of the invoices issued by the run; by default the end of the period.",
    )
    community_ids = fields.Many2many(
        "carshare.community", string="Communities", help="Leave empty to bill them all."
    )
    invoice_ids = fields.Many2many("account.move", string="Invoices", readonly=True)
    invoice_count = fields.Integer(compute="_compute_invoice_count")
    job_count = fields.Integer(
        readonly=True,
        help="Jobs queued by the run: one per employer and one per batch of personal invoices.",
    )
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft")

    @api.depends("date_to")
    def _compute_invoice_date(self):
        for run in self:
            run.invoice_date = run.date_to

    @api.depends("invoice_ids")
    def _compute_invoice_count(self):
        for run in self:
            run.invoice_count = len(run.invoice_ids)

    def action_run(self):
        """Invoice the period's carsharing orders in jobs: personal bookings and subscriptions
        one by one, professional bookings grouped per employer."""
        check_groups(self.env, ACCOUNTANT_GROUP)
        self.ensure_one()
        if self.date_to < self.date_from:
            raise UserError(self.env._("The period must end after it starts."))
        jobs = self.env["sale.order"]._carshare_enqueue_period(
            self.date_from, self.date_to, self.community_ids, self.invoice_date, self
        )
        self.write({"job_count": len(jobs), "state": "done"})
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_view_invoices(self):
        check_groups(self.env, ACCOUNTANT_GROUP)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "carshare_billing.action_carshare_invoices"
        )
        action["domain"] = [("id", "in", self.invoice_ids.ids)]
        action["context"] = {}
        return action

    def action_print_statement(self):
        check_groups(self.env, ACCOUNTANT_GROUP)
        self.ensure_one()
        communities = self.community_ids or self.invoice_ids.carshare_community_id
        return self.env.ref("carshare_billing.action_report_community_statement").report_action(
            communities,
            data={
                "date_from": fields.Date.to_string(self.date_from),
                "date_to": fields.Date.to_string(self.date_to),
            },
        )
