from datetime import datetime

from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.carshare_billing.tests.common import FRIDAY_9H
from odoo.addons.carshare_billing.tests.jobs import CHANNEL, BillingJobsCase, trap_jobs


@tagged("post_install", "-at_install")
class TestCardJobs(BillingJobsCase):
    """The card charges and refunds are queue_job jobs on the billing's channel."""

    def test_card_charges_one_job_per_due_invoice(self):
        """The hourly card cron queues a charge job for the due invoice, once however often it
        runs before the job does."""
        booking = self._book(FRIDAY_9H, 2)
        with trap_jobs() as trap:
            self._return(booking)
            trap.perform_enqueued_jobs()
        invoice = booking.carshare_invoice_ids
        invoice.sudo().carshare_charge_due_at = datetime(2025, 1, 11, 10, 0)
        counter = self.job_counter()
        with freeze_time("2025-01-11 10:00:00"):
            for _run in range(2):
                self.env["account.move"]._cron_carshare_charge_cards()
        job = counter.search_created()
        self.assertEqual(len(job), 1)
        self.assertEqual((job.method_name, job.records), ("_carshare_charge_card", invoice))
        self.assertEqual(job.channel, CHANNEL)

    def test_card_job_functions_are_declared(self):
        """The card jobs have their declared functions on the billing channel, with a failure
        hook that exists on their model."""
        for method in ("_carshare_charge_card", "_carshare_refund_card"):
            function = (
                self.env["queue.job.function"]
                .sudo()
                .search([("name", "=", f"<account.move>.{method}")])
            )
            self.assertEqual(function.channel, CHANNEL, method)
            self.assertTrue(hasattr(self.env["account.move"], function.on_fail_method), method)
