from datetime import date, datetime, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import FRIDAY_9H, CarshareBillingCase


@tagged("post_install", "-at_install")
class TestMonthEnd(CarshareBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.town = cls.env["res.partner"].create(
            {"name": "Mairie de Sées", "is_company": True, "country_id": cls.env.ref("base.fr").id}
        )
        cls.dave = cls._driver("Dave Leroy", "employee", cls.town)
        cls.dave.carshare_membership_ids.purchase_order_ref = "BC-77"

    def _january(self):
        """Acme: Bob 2 h on the 10th (3.00 + 1.00 = 4.00) and 3 h on the 17th (4.50 + 1.00 =
        5.50), Carol 1 h on the 14th (1.50 + 1.00 = 2.50): 12.00, no monthly fee (it is the
        residents'). The town: Dave 2 h on the 20th, 4.00. Alice drives for herself on the
        22nd: 3.00 + 1.00 + 4.00 = 8.00."""
        return {
            "bob_1": self._trip(FRIDAY_9H, 2, km=12, driver=self.bob, usage="pro"),
            "carol": self._trip(
                FRIDAY_9H + timedelta(days=4),
                1,
                km=30,
                driver=self.carol,
                usage="pro",
                vehicle=self.vehicle_2,
            ),
            "bob_2": self._trip(
                FRIDAY_9H + timedelta(days=7), 3, km=40, driver=self.bob, usage="pro"
            ),
            "dave": self._trip(
                FRIDAY_9H + timedelta(days=10),
                2,
                driver=self.dave,
                usage="pro",
                vehicle=self.vehicle_2,
            ),
            "alice": self._trip(FRIDAY_9H + timedelta(days=12), 2),
        }

    def test_one_invoice_per_employer_and_month(self):
        trips = self._january()
        alice_invoice = trips["alice"].carshare_invoice_ids
        invoices = self._month_end()
        self.assertEqual(len(invoices), 2)
        self.assertNotIn(alice_invoice, invoices)
        acme = invoices.filtered(lambda inv: inv.partner_id == self.employer)
        self.assertEqual(acme.state, "posted")
        self.assertEqual(acme.invoice_date, date(2025, 1, 31))
        self.assertEqual(acme.ref, "PO-ACME-2025")
        self.assertEqual(acme.carshare_community_id, self.community)
        self.assertAlmostEqual(acme.amount_total, 12.0)
        sections = acme.invoice_line_ids.filtered(lambda line: line.display_type == "line_section")
        self.assertEqual(len(sections), 3)
        for key, plate, km in (("bob_1", "GA-001-AF", "12 km"), ("carol", "GA-002-AF", "30 km")):
            section = sections.filtered(lambda line, name=trips[key].name: name in line.name)
            self.assertIn(trips[key].partner_id.name, section.name)
            self.assertIn(plate, section.name)
            self.assertIn(km, section.name)
        town = invoices - acme
        self.assertEqual(town.partner_id, self.town)
        self.assertEqual(town.ref, "BC-77")
        self.assertAlmostEqual(town.amount_total, 4.0)
        self.assertEqual({booking.billing_state for booking in trips.values()}, {"invoiced"})

    def test_running_again_invoices_nothing_twice(self):
        """The January run invoices January; a second run finds nothing; a February trip waits
        for the February run."""
        self._january()
        february = self._trip(datetime(2025, 2, 4, 8, 0), 2, driver=self.bob, usage="pro")
        first = self._month_end()
        self.assertEqual(len(first), 2)
        self.assertFalse(self._month_end())
        self.assertEqual(february.billing_state, "to_invoice")
        second = self._month_end("2025-02-01", "2025-02-28")
        self.assertEqual(second.invoice_line_ids.carshare_booking_id, february)
        self.assertFalse(self._month_end("2025-02-01", "2025-02-28"))
        count = self.env["account.move"].search_count([("carshare_community_id", "!=", False)])
        self.assertEqual(count, 4)

    def _credit(self, invoice):
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"reason": "Refunded", "journal_id": invoice.journal_id.id})
        )
        reversal.refund_moves()
        credit_note = invoice.reversal_move_ids
        credit_note.action_post()
        return credit_note

    def test_credit_note_corrects_a_wrong_invoice(self):
        """The odometer was mistyped: 250 km instead of 50 (a plausible 125 km/h: not
        held) at 0.20 per km = 50.00 instead of 10.00. The invoice (3.00 + 1.00 + 4.00 + 50.00 =
        58.00) is reversed by a credit note:
        the booking owes nothing, the month-end bills nothing. The odometer corrected, a
        manager bills it again: 3.00 + 1.00 + 4.00 + 10.00 = 18.00, at once (personal use)."""
        self.version.km_price = 0.2
        booking = self._trip(FRIDAY_9H, 2, km=250)
        wrong = booking.carshare_invoice_ids
        self.assertAlmostEqual(wrong.amount_total, 58.0)
        credit_note = self._credit(wrong)
        self.assertAlmostEqual(credit_note.amount_total, 58.0)
        self.assertEqual(booking.billing_state, "credited")
        self.assertFalse(self._month_end())
        booking.odometer_end = booking.odometer_start + 50
        booking.action_reprice_billing()
        self.assertFalse(self._month_end())
        booking.action_carshare_bill_again()
        fixed = booking.carshare_invoice_ids - wrong - credit_note
        self.assertEqual(len(fixed), 1)
        self.assertEqual(fixed.state, "posted")
        self.assertAlmostEqual(fixed.amount_total, 18.0)
        self.assertEqual(booking.billing_state, "invoiced")
        self.assertFalse(self._month_end())
        with self.assertRaises(UserError):
            booking.action_carshare_bill_again()

    def test_reverse_and_create_invoice_bills_again(self):
        """Odoo's "reverse and create invoice": the 8.00 trip (3.00 + 1.00 + 4.00) credited,
        the new invoice posted by the accountant bills it again; the month-end adds nothing."""
        booking = self._trip(FRIDAY_9H, 2)
        invoice = booking.carshare_invoice_ids
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"reason": "Wrong date", "journal_id": invoice.journal_id.id})
        )
        action = reversal.modify_moves()
        new_invoice = self.env["account.move"].browse(action["res_id"])
        self.assertEqual(new_invoice.move_type, "out_invoice")
        self.assertEqual(booking.billing_state, "credited")
        new_invoice.action_post()
        self.assertAlmostEqual(new_invoice.amount_total, 8.0)
        self.assertEqual(booking.billing_state, "invoiced")
        self.assertFalse(self._month_end())

    def test_credited_trip_is_not_invoiced_again(self):
        """Bob's professional 2 h trip (3.00 + 1.00 = 4.00) is on Acme's January invoice; a
        credit note refunds it in full. February's run, and January's again, bill nothing.
        Bill again is for managers and accountants only."""
        booking = self._trip(FRIDAY_9H, 2, driver=self.bob, usage="pro")
        invoice = self._month_end()
        self.assertAlmostEqual(invoice.amount_total, 4.0)
        credit_note = self._credit(invoice)
        self.assertAlmostEqual(credit_note.amount_total, 4.0)
        self.assertEqual(booking.billing_state, "credited")
        self.assertFalse(self._month_end())
        self.assertFalse(self._month_end("2025-02-01", "2025-02-28"))
        self.assertIn("credit note", booking.message_ids[0].body)
        outsider = self.env["res.users"].create(
            {
                "name": "Desk",
                "login": "desk14b",
                "groups_id": [(6, 0, [self.env.ref("base.group_user").id])],
            }
        )
        with self.assertRaises(AccessError):
            booking.with_user(outsider).action_carshare_bill_again()
        booking.action_carshare_bill_again()
        self.assertEqual(booking.billing_state, "to_invoice")
        again = self._month_end("2025-02-01", "2025-02-28")
        self.assertAlmostEqual(again.amount_total, 4.0)

    def test_refused_personal_invoice_leaves_the_batch_invoiced(self):
        """Alice's and Bob's personal trips (2 h each: 3.00 + 1.00 + 4.00 = 8.00) could not
        be invoiced at the return. At the month-end Bob's invoice is refused: the batch is
        invoiced again order by order, Alice's 8.00 is posted, Bob's booking says why and the
        accountant has an activity on Bob."""
        SaleOrder = type(self.env["sale.order"])
        with patch.object(SaleOrder, "_carshare_invoice", side_effect=UserError("Not yet.")):
            alice = self._trip(FRIDAY_9H, 2)
            bob = self._trip(FRIDAY_9H, 2, driver=self.bob, vehicle=self.vehicle_2)
        self.assertEqual({alice.billing_state, bob.billing_state}, {"to_invoice"})
        AccountMove = type(self.env["account.move"])
        post = AccountMove.action_post

        refusal = UserError("Bob's address is incomplete.")

        def refuse_bob(moves):
            if self.bob in moves.partner_id:
                raise refusal
            return post(moves)

        with patch.object(AccountMove, "action_post", refuse_bob):
            invoices = self._month_end()
        self.assertEqual(invoices.partner_id, self.alice)
        self.assertAlmostEqual(invoices.amount_total, 8.0)
        self.assertEqual(alice.billing_state, "invoiced")
        self.assertEqual(bob.billing_state, "to_invoice")
        self.assertIn("Bob's address is incomplete.", bob.message_ids[0].body)
        self.assertIn(bob.name, self.bob.activity_ids.note)
        self.assertAlmostEqual(self._month_end().amount_total, 8.0)
        self.assertEqual(bob.billing_state, "invoiced")

    def test_subscriptions_billed_monthly(self):
        """Plan at 10.00 a month, -20 % on time: Alice's 2 h trip costs 2.40 + 1.00 + 4.00 =
        7.40; the January run adds her 10.00 subscription, once; February's run another one."""
        plan = self.env["carshare.subscription.plan"].create(
            {
                "name": "Frequent",
                "tariff_id": self.tariff.id,
                "monthly_fee": 10.0,
                "time_discount": 20,
            }
        )
        subscription = self.env["carshare.subscription"].create(
            {"partner_id": self.alice.id, "plan_id": plan.id, "date_start": "2025-01-01"}
        )
        trip = self._trip(FRIDAY_9H, 2)
        self.assertAlmostEqual(trip.carshare_invoice_ids.amount_total, 7.4)
        january = self._month_end()
        self.assertEqual(january.partner_id, self.alice)
        self.assertAlmostEqual(january.amount_total, 10.0)
        self.assertFalse(self._month_end())
        february = self._month_end("2025-02-01", "2025-02-28")
        self.assertAlmostEqual(february.amount_total, 10.0)
        self.assertEqual(len(subscription.sale_order_ids), 2)

    def test_statement_and_revenue_per_vehicle(self):
        self._january()
        self._month_end()
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html(
                "carshare_billing.report_community_statement",
                self.community.ids,
                data={"date_from": "2025-01-01", "date_to": "2025-01-31"},
            )[0]
            .decode()
        )
        self.assertIn("Monthly Statement", html)
        self.assertIn("GA-001-AF", html)
        report = self.env["report.carshare_billing.report_community_statement"]
        statement = report._statement(self.community, date(2025, 1, 1), date(2025, 1, 31))
        # Acme 12.00 + the town 4.00 + Alice 8.00.
        self.assertAlmostEqual(statement["total"], 24.0)
        revenue = dict(
            self.env["account.invoice.report"]._read_group(
                [("carshare_community_id", "=", self.community.id)],
                ["carshare_vehicle_id"],
                ["price_subtotal:sum"],
            )
        )
        self.assertAlmostEqual(sum(revenue.values()), statement["untaxed"])
        self.assertEqual(set(revenue), {self.vehicle, self.vehicle_2})

    def test_wizard_and_cron(self):
        trips = self._january()
        run = self.env["carshare.billing.run"].create(
            {"date_from": "2025-01-01", "date_to": "2025-01-31"}
        )
        self.assertEqual(run.invoice_date, date(2025, 1, 31))
        run.action_run()
        self.assertEqual(run.invoice_count, 2)
        self.assertEqual(run.action_view_invoices()["domain"], [("id", "in", run.invoice_ids.ids)])
        self.assertEqual(
            run.with_context(discard_logo_check=True).action_print_statement()["report_name"],
            "carshare_billing.report_community_statement",
        )
        february = self._trip(datetime(2025, 2, 4, 8, 0), 2, driver=self.bob, usage="pro")
        with freeze_time("2025-03-01 02:00:00"):
            self.env["sale.order"]._cron_carshare_month_end()
        self.assertEqual(february.billing_state, "invoiced")
        self.assertEqual(
            february.carshare_invoice_ids.invoice_date, date(2025, 2, 28), trips["bob_1"].name
        )
