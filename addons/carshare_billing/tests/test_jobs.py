from datetime import date, timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from odoo.addons.queue_job.job import identity_exact

from .common import FRIDAY_9H
from .jobs import CHANNEL, BillingJobsCase, trap_jobs


class TestBillingJobs(BillingJobsCase):
    """The billing's background work goes through queue_job, as its own tests run it: trapped
    and performed, or stored in the queue and loaded back."""

    def test_return_is_invoiced_by_a_job(self):
        """Alice's 2 h trip: the return ends the booking without its invoice; the job makes
        it: 3.00 + 1.00 booking fee + 4.00 monthly fee = 8.00."""
        booking = self._book(FRIDAY_9H, 2)
        with trap_jobs() as trap:
            self._return(booking)
            self.assertEqual(booking.state, "done")
            self.assertFalse(booking.carshare_invoice_ids)
            trap.assert_jobs_count(1)
            trap.assert_enqueued_job(
                booking.sudo()._carshare_job_bill_ended,
                properties={"channel": CHANNEL, "identity_key": identity_exact},
            )
            trap.perform_enqueued_jobs()
        self.assertEqual(booking.billing_state, "invoiced")
        self.assertAlmostEqual(booking.carshare_invoice_ids.amount_total, 8.0)
        self.assertEqual(booking.carshare_invoice_ids.state, "posted")

    def test_a_booking_is_billed_by_one_job(self):
        """Billing the returned booking again while its job waits queues nothing more; the
        job, loaded from the queue, invoices 8.00 once."""
        booking = self._book(FRIDAY_9H, 2)
        counter = self.job_counter()
        self._return(booking)
        booking._carshare_close_billing()
        self.assertEqual(counter.count_created(), 1)
        job = counter.search_created()
        self.assertEqual(job.channel, CHANNEL)
        self.assertEqual(job.method_name, "_carshare_job_bill_ended")
        self.perform_jobs(counter)
        self.assertAlmostEqual(booking.carshare_invoice_ids.amount_total, 8.0)

    def test_month_end_one_job_per_employer_and_batch(self):
        """January: Bob and Carol drive for Acme (2 h: 4.00, 1 h: 2.50), Alice for herself
        (8.00, invoiced at her return). The month-end queues one job for Acme, whose invoice
        is 6.50; queued again before it ran, it is not queued twice."""
        with trap_jobs() as trap:
            alice = self._book(FRIDAY_9H, 2)
            self._return(alice)
            bob = self._book(FRIDAY_9H, 2, driver=self.bob, usage="pro", vehicle=self.vehicle_2)
            self._return(bob)
            carol = self._book(FRIDAY_9H + timedelta(days=3), 1, driver=self.carol, usage="pro")
            self._return(carol)
            trap.perform_enqueued_jobs()
        self.assertAlmostEqual(alice.carshare_invoice_ids.amount_total, 8.0)
        self.assertEqual({bob.billing_state, carol.billing_state}, {"to_invoice"})
        counter = self.job_counter()
        SaleOrder = self.env["sale.order"]
        for _run in range(2):
            SaleOrder._carshare_enqueue_period(date(2025, 1, 1), date(2025, 1, 31))
        job = counter.search_created()
        self.assertEqual(len(job), 1)
        self.assertEqual(job.channel, CHANNEL)
        self.assertEqual(job.records, (bob | carol).sale_order_id)
        self.perform_jobs(counter)
        invoice = bob.carshare_invoice_ids
        self.assertEqual(invoice, carol.carshare_invoice_ids)
        self.assertEqual(invoice.partner_id, self.employer)
        self.assertAlmostEqual(invoice.amount_total, 6.5)
        self.assertEqual(invoice.invoice_date, date(2025, 1, 31))
        self.assertFalse(SaleOrder._carshare_enqueue_period(date(2025, 1, 1), date(2025, 1, 31)))

    def test_wizard_queues_the_month_end(self):
        """The accountant's run queues the jobs; once performed, the run lists the invoice."""
        bob = self._book(FRIDAY_9H, 2, driver=self.bob, usage="pro")
        with trap_jobs() as trap:
            self._return(bob)
            trap.perform_enqueued_jobs()
        run = self.env["carshare.billing.run"].create(
            {"date_from": "2025-01-01", "date_to": "2025-01-31"}
        )
        with trap_jobs() as trap:
            run.action_run()
            self.assertEqual(run.job_count, 1)
            self.assertFalse(run.invoice_ids)
            trap.perform_enqueued_jobs()
        self.assertEqual(run.invoice_ids, bob.carshare_invoice_ids)
        self.assertAlmostEqual(run.invoice_ids.amount_total, 4.0)

    def test_failed_job_is_told_on_the_booking_and_to_the_accountant(self):
        """queue_job calls the job function's failure hook once retries are over: the booking
        says why and the community's accountant has an activity."""
        booking = self._book(FRIDAY_9H, 2)
        config = (
            self.env["queue.job.function"]
            .sudo()
            .job_config("<carshare.booking>._carshare_job_bill_ended")
        )
        self.assertEqual(config.channel, CHANNEL)
        hook = getattr(booking, config.on_fail_method_name)
        hook(exc_info="Traceback ...", exc_name="KeyError", exc_message="no income account")
        self.assertIn("no income account", booking.message_ids[0].body)
        activity = booking.activity_ids
        self.assertIn("no income account", activity.note)
        self.assertEqual(activity.user_id, self.community._carshare_accountant(self.company))

    def test_accountant_reads_and_requeues_failed_billing_jobs(self):
        """A return's billing job failed: the accountant reads its error and requeues it; the
        confirmation's mail job is not hers, a desk agent reads no job, and a job manager who is
        also an accountant still reads every job."""
        users = {
            name: new_test_user(
                self.env,
                f"jobs.{name}",
                groups=groups,
                company_id=self.company.id,
                company_ids=self.company.ids,
            )
            for name, groups in (
                ("accountant", "carshare_billing.group_carshare_accountant"),
                ("agent", "carshare_fleet.group_carshare_user"),
                (
                    "manager",
                    "queue_job.group_queue_job_manager,carshare_billing.group_carshare_accountant",
                ),
            )
        }
        counter = self.job_counter()
        booking = self._book(FRIDAY_9H, 2)
        confirmation = counter.search_created()
        self._return(booking)
        billing = counter.search_created() - confirmation
        self.assertEqual(billing.channel, CHANNEL)
        billing.write({"state": "failed", "exc_info": "Traceback ...\nUserError: no version"})
        Job = self.env["queue.job"]
        accountant_jobs = Job.with_user(users["accountant"]).search(
            [("id", "in", counter.search_all().ids)]
        )
        self.assertEqual(accountant_jobs, billing)
        self.assertIn("no version", accountant_jobs.exc_info)
        accountant_jobs.requeue()
        self.assertEqual(billing.state, "pending")
        with self.assertRaises(AccessError):
            Job.with_user(users["agent"]).search([])
        everything = Job.with_user(users["manager"]).search(
            [("id", "in", counter.search_all().ids)]
        )
        self.assertEqual(everything, billing | confirmation)

    def test_job_functions_are_declared(self):
        """Every job the billing queues has its declared function on the billing channel,
        with a failure hook that exists on its model."""
        for model, method in (
            ("carshare.booking", "_carshare_job_bill_ended"),
            ("sale.order", "_carshare_job_invoice"),
        ):
            function = (
                self.env["queue.job.function"].sudo().search([("name", "=", f"<{model}>.{method}")])
            )
            self.assertEqual(function.channel, CHANNEL, method)
            self.assertTrue(hasattr(self.env[model], function.on_fail_method), method)

    def test_confirmation_mail_waits_in_the_queue(self):
        """Confirming composes and sends nothing in the request: a job composes the driver's
        mail, which then waits in the mail queue."""
        self.alice.email = "alice@example.com"
        Mail = self.env["mail.mail"]
        with trap_jobs() as trap:
            booking = self._book(FRIDAY_9H, 2)
            domain = [("model", "=", "carshare.booking"), ("res_id", "=", booking.id)]
            self.assertFalse(Mail.search(domain))
            trap.assert_jobs_count(1)
            trap.assert_enqueued_job(
                booking._job_notify_confirmed,
                properties={"channel": "root.carshare", "identity_key": identity_exact},
            )
            trap.perform_enqueued_jobs()
        mails = Mail.search(domain)
        self.assertTrue(mails)
        self.assertIn(booking.access_code, mails.body_html)
        self.assertEqual(mails.recipient_ids, self.alice)
        self.assertEqual(set(mails.mapped("state")), {"outgoing"})

    def test_a_cancelled_booking_is_not_announced(self):
        """Alice cancels before the confirmation's job ran: she gets the cancellation only."""
        with trap_jobs() as trap:
            booking = self._book(FRIDAY_9H, 2)
            with freeze_time(FRIDAY_9H - timedelta(days=1)):
                booking.action_cancel()
            trap.perform_enqueued_jobs()
        subjects = booking.message_ids.mapped("subject")
        self.assertFalse([s for s in subjects if s and "confirmed" in s])
        self.assertTrue([s for s in subjects if s and "cancelled" in s])
