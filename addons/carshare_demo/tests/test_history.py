from collections import Counter
from datetime import timedelta
from unittest.mock import patch

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import TransactionCase, tagged

from odoo.addons.carshare_billing_fr.tests.test_chorus import _blank_pdf

from ..cli.demo_history import quarter_start
from ..history import DemoHistory, local

PAID = ("paid", "in_payment")


@tagged("post_install", "-at_install")
class TestDemoHistory(TransactionCase):
    """Six days of history around the first day of a quarter, at a tenth of the demo's volume:
    what an accountant checks of it, by hand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.quarter = quarter_start(fields.Date.today())
        cls.date_from, cls.until = cls.quarter - timedelta(days=5), cls.quarter + timedelta(days=1)
        # A French company with its SIRET, as the demo's, so the département goes to Chorus Pro.
        cls.env.company.partner_id.write(
            {
                "country_id": cls.env.ref("base.fr").id,
                "siren": "732829320",
                "nic": "00074",
                "vat": "FR44732829320",
            }
        )
        journal = cls.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", cls.env.company.id)], limit=1
        )
        journal.bank_account_id = cls.env["res.partner.bank"].create(
            {
                "acc_number": "FR7630001007941234567890185",
                "partner_id": cls.env.company.partner_id.id,
            }
        )
        cls.community = cls.env.ref("carshare_fleet.community_autofree61")
        cls.startClassPatcher(
            patch.object(
                type(cls.env["ir.actions.report"]),
                "_render_qweb_pdf",
                return_value=(_blank_pdf(), "pdf"),
            )
        )

    def _history(self):
        history = DemoHistory(self.env, self.date_from, self.until, seed=7, scale=0.12)
        # The card charges' jobs commit once the provider answered, so queue_job runs them in
        # a cursor of their own: here the test's, as billing's tests do (_committing_jobs).
        self.env.flush_all()
        self.registry.enter_test_mode(self.cr)
        try:
            history.run()
        finally:
            self.registry.leave_test_mode()
            self.env.invalidate_all()
        return history

    def _bookings(self):
        return self.env["carshare.booking"].search(
            [
                ("community_id", "=", self.community.id),
                ("date_start", ">=", self.date_from - timedelta(days=1)),
                ("date_start", "<", self.until + timedelta(days=1)),
            ]
        )

    def _figures(self):
        bookings = self._bookings()
        invoices = bookings.sale_order_id.invoice_ids
        statement = self._statement()
        return {
            "states": Counter(bookings.mapped("state")),
            "km": sum(bookings.mapped("distance_km")),
            "invoiced": sorted(invoices.mapped("amount_total")),
            "paid": sorted(
                invoices.filtered(lambda m: m.payment_state in PAID).mapped("amount_total")
            ),
            "statement": (statement.revenue_amount, statement.net_amount),
        }

    def _statement(self):
        return self.env["carshare.reversal.statement"].search(
            [
                ("community_id", "=", self.community.id),
                ("date_to", "=", self.quarter - timedelta(days=1)),
            ]
        )

    def test_what_the_accountant_checks(self):
        history = self._history()
        bookings = self._bookings()
        self.assertGreater(len(bookings), 15)
        self.assertEqual(history.stats["bookings"], len(bookings))
        month = self.quarter - relativedelta(months=1)

        # A personal trip back on time costs 1.50 an hour, 1.00 of booking fee and, for the
        # driver's first trip of the month, the 4.00 monthly fee, taxes included.
        personal = bookings.filtered(lambda b: b.usage == "perso" and b.state == "done")
        self.assertTrue(personal)
        for booking in personal.filtered(lambda b: not b.late_minutes):
            invoice = booking.carshare_invoice_ids
            self.assertEqual(invoice.state, "posted")
            first_of_month = (
                booking
                == personal.filtered(
                    lambda b, d=booking: b.partner_id == d.partner_id
                    and b.date_start.month == d.date_start.month
                ).sorted("date_return")[:1]
            )
            expected = 1.5 * booking.duration_hours + 1.0 + (4.0 if first_of_month else 0.0)
            self.assertAlmostEqual(invoice.amount_total, expected, msg=booking.name)

        # Charged to the card 24 hours after the return, through the card provider.
        charged = personal.filtered(
            lambda b: b.date_return + timedelta(days=1) < fields.Datetime.to_datetime(self.until)
        ).carshare_invoice_ids
        self.assertTrue(charged)
        for invoice in charged:
            transaction = invoice.transaction_ids.filtered(lambda t: t.state == "done")
            refused = invoice.partner_id.payment_token_ids.demo_simulated_state == "error"
            if refused:
                self.assertFalse(transaction)
                self.assertEqual(invoice.carshare_dunning_state, "failed")
                continue
            self.assertEqual(transaction.provider_id, history.card_provider, invoice.name)
            self.assertAlmostEqual(transaction.amount, invoice.amount_total)
            self.assertIn(invoice.payment_state, PAID)

        # The employer's trips of the month (1.50 an hour + 1.00 each) in one invoice, debited
        # under its mandate by the payment order sent to the bank.
        employer = history.sepa_employer
        trips = bookings.filtered(
            lambda b: b.employer_id == employer
            and b.state == "done"
            and b.date_start.month == month.month
        )
        invoice = self.env["account.move"].search(
            [("partner_id", "=", employer.id), ("move_type", "=", "out_invoice")]
        )
        if trips:
            self.assertAlmostEqual(
                invoice.amount_total, sum(1.5 * trip.duration_hours + 1.0 for trip in trips)
            )
            order = invoice.line_ids.payment_line_ids.order_id
            self.assertEqual(order.state, "uploaded")
            self.assertIn(invoice.payment_state, PAID)

        # The département's invoice went to Chorus Pro (the fake), with its commitment number.
        body = history.public_body
        sent = self.env["account.move"].search([("commercial_partner_id", "=", body.id)])
        self.assertTrue(sent.chorus_flow_id)
        self.assertEqual(len(history.chorus.deposits), len(sent.chorus_flow_id))

        # The quarter's statement: the paid untaxed revenue, less the booking fees, less 10 %;
        statement = self._statement()
        self.assertEqual(statement.state, "confirmed")
        paid = self.env["account.move"].search(
            [
                ("carshare_community_id", "=", self.community.id),
                ("move_type", "=", "out_invoice"),
                ("payment_state", "in", PAID),
                ("invoice_date", "<=", statement.date_to),
            ]
        )
        # computed in the night of the 1st: the last evening's trips are charged after it
        charged_by = local(self.quarter - timedelta(days=1), 23, 50)
        paid = paid.filtered(
            lambda m: not m.carshare_charge_due_at or m.carshare_charge_due_at <= charged_by
        )
        self.assertAlmostEqual(statement.revenue_amount, sum(paid.mapped("amount_untaxed")))
        base = statement.revenue_amount - statement.booking_fee_amount
        self.assertAlmostEqual(statement.net_amount, round(base - round(base * 0.10, 2), 2))

        # The neighbours' month: each neighbour owes the owner 0.32 a km less what they paid.
        settlement = self.env["carshare.neighbours.settlement"].search(
            [("date_from", "=", month), ("state", "=", "done")]
        )
        self.assertEqual(len(settlement), 1)
        owner = settlement.community_id.neighbours_owner_ids.partner_id
        self.assertTrue(settlement.trip_ids)
        for transfer in settlement.transfer_ids:
            neighbour = (
                transfer.debtor_id if transfer.creditor_id == owner else transfer.creditor_id
            )
            km = sum(
                settlement.trip_ids.filtered(lambda t, n=neighbour: t.partner_id == n).mapped(
                    "distance_km"
                )
            )
            spent = sum(
                settlement.expense_ids.filtered(lambda e, n=neighbour: e.partner_id == n).mapped(
                    "amount"
                )
            )
            owed = round(km * 0.32 - spent, 2)
            self.assertAlmostEqual(transfer.amount, abs(owed))
            self.assertEqual(transfer.creditor_id, owner if owed > 0 else neighbour)

    def test_same_seed_same_history(self):
        with self.env.cr.savepoint(flush=False) as savepoint:
            self._history()
            self.env.flush_all()
            first = self._figures()
            savepoint.rollback()
        self.env.invalidate_all()
        self._history()
        self.assertEqual(self._figures(), first)
