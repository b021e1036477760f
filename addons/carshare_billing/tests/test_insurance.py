from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import FRIDAY_9H, CarshareBillingCase


@tagged("post_install", "-at_install")
class TestInsurance(CarshareBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.insurance_plan = cls.env["carshare.subscription.plan"].create(
            {"name": "Yearly insurance", "tariff_id": cls.tariff.id, "kind": "insurance"}
        )

    def _insure(self, partner, date_start="2025-01-01"):
        return self.env["carshare.subscription"].create(
            {"partner_id": partner.id, "plan_id": self.insurance_plan.id, "date_start": date_start}
        )

    def _damage(self, booking, responsible=True, description="Scratched rear bumper"):
        """A damage added by a manager to the validated check-in report of ``booking``."""
        checkin = booking.inspection_ids.filtered(lambda i: i.kind == "checkin")
        return self.env["carshare.damage"].create(
            {
                "inspection_id": checkin.id,
                "description": description,
                "severity": "moderate",
                "responsible": responsible,
            }
        )

    def _balance(self, account, partner=None):
        domain = [("account_id", "=", account.id), ("parent_state", "=", "posted")]
        if partner:
            domain.append(("partner_id", "=", partner.id))
        return sum(self.env["account.move.line"].search(domain).mapped("balance"))

    # -- buy-back at booking ---------------------------------------------------------------------

    def test_buyback_priced_per_started_day(self):
        """3 h with the buy-back: 4.50 + 1.00 booking fee + 7.60 for one started day = 13.10;
        extended to 26 h: two started days."""
        booking = self._book(FRIDAY_9H, 3)
        booking.carshare_insurance_buyback = True
        line = self._lines(booking, "insurance")
        self.assertEqual(
            line.product_id, self.env.ref("carshare_billing.product_carshare_insurance")
        )
        self.assertEqual(line.product_uom_qty, 1)
        self.assertAlmostEqual(line.price_unit, 7.6)
        self.assertAlmostEqual(booking.billing_amount, 13.1)
        booking.date_end = FRIDAY_9H + timedelta(hours=26)
        self.assertEqual(self._lines(booking, "insurance").product_uom_qty, 2)

    def test_buyback_price_is_the_versions(self):
        self.version.insurance_day_price = 9.0
        booking = self._book(FRIDAY_9H, 3)
        booking.carshare_insurance_buyback = True
        self.assertAlmostEqual(self._lines(booking, "insurance").price_unit, 9.0)

    def test_buyback_invoiced_at_return(self):
        """Invoiced with the trip: 3.00 + 1.00 + 4.00 + 7.60 = 15.60 TTC; the buy-back is exempt
        of VAT (art. 261 C CGI): its income holds the 7.60."""
        booking = self._book(FRIDAY_9H, 2)
        booking.carshare_insurance_buyback = True
        self._drive(booking)
        invoice = booking.carshare_invoice_ids
        self.assertAlmostEqual(invoice.amount_total, 15.6)
        line = invoice.invoice_line_ids.filtered(lambda aml: aml.carshare_component == "insurance")
        self.assertAlmostEqual(line.price_subtotal, 7.6)
        self.assertAlmostEqual(self.vehicle.carshare_buyback_revenue, 7.6)

    def test_yearly_insurance_replaces_the_buyback(self):
        """A member of the yearly insurance pays no daily buy-back; the month-end billing
        orders the 96.50 of the year once."""
        self._insure(self.alice)
        booking = self._book(FRIDAY_9H, 3)
        booking.carshare_insurance_buyback = True
        self.assertFalse(self._lines(booking, "insurance"))
        self.assertAlmostEqual(booking.billing_amount, 5.5)
        invoices = self._month_end()
        yearly = invoices.filtered(lambda m: m.partner_id == self.alice)
        self.assertAlmostEqual(yearly.amount_total, 96.5)
        self.assertEqual(yearly.invoice_line_ids.carshare_component, "insurance")
        self.assertFalse(self._month_end())
        self.assertFalse(self._month_end("2025-02-01", "2025-02-28"))

    def test_yearly_insurance_with_a_discount_plan(self):
        """The yearly insurance and a discount plan run side by side."""
        plan = self.env["carshare.subscription.plan"].create(
            {"name": "Frequent", "tariff_id": self.tariff.id, "time_discount": 20}
        )
        self.env["carshare.subscription"].create(
            {"partner_id": self.alice.id, "plan_id": plan.id, "date_start": "2025-01-01"}
        )
        self._insure(self.alice)
        booking = self._book(FRIDAY_9H, 2)
        self.assertEqual(self._lines(booking, "time").discount, 20)

    # -- excess on responsible damage --------------------------------------------------------------

    def test_responsible_damage_invoices_the_excess(self):
        """900.00 HT + 20 % VAT = 1,080.00 owed by the driver, on the receivable account; the
        income of the excess product holds 900.00 and the VAT 180.00."""
        booking = self._trip(FRIDAY_9H, 2)
        receivable = self.alice.property_account_receivable_id
        before = self._balance(receivable, self.alice)
        damage = self._damage(booking)
        move = damage.carshare_excess_move_id
        self.assertEqual(move.move_type, "out_invoice")
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.partner_id, self.alice)
        self.assertEqual(move.carshare_damage_id, damage)
        self.assertEqual(move.carshare_community_id, self.community)
        self.assertAlmostEqual(move.amount_untaxed, 900.0)
        self.assertAlmostEqual(move.amount_total, 1080.0)
        self.assertEqual(move.invoice_line_ids.carshare_booking_id, booking)
        self.assertEqual(damage.carshare_excess_status, "invoiced")
        self.assertAlmostEqual(self._balance(receivable, self.alice) - before, 1080.0)
        product = self.env.ref("carshare_billing.product_carshare_excess")
        income = product.product_tmpl_id._get_product_accounts()["income"]
        income_lines = move.line_ids.filtered(lambda aml: aml.account_id == income)
        self.assertAlmostEqual(-sum(income_lines.mapped("balance")), 900.0)
        tax_lines = move.line_ids.filtered("tax_line_id")
        self.assertAlmostEqual(-sum(tax_lines.mapped("balance")), 180.0)
        self.assertAlmostEqual(self.vehicle.carshare_excess_invoiced, 900.0)

    def test_excess_invoiced_once(self):
        booking = self._trip(FRIDAY_9H, 2)
        damage = self._damage(booking)
        move = damage.carshare_excess_move_id
        damage.write({"responsible": True, "description": "Scratched rear bumper, left"})
        damage.inspection_id.action_done()
        damage._carshare_invoice_excess()
        count = self.env["account.move"].search_count([("carshare_damage_id", "=", damage.id)])
        self.assertEqual(count, 1)
        self.assertEqual(damage.carshare_excess_move_id, move)

    def test_damage_reported_before_return_invoiced_at_checkin(self):
        """The driver reports the damage in a draft check-in; nothing is due until the manager
        holds them responsible and the check-in is validated at the return."""
        booking = self._book(FRIDAY_9H, 2)
        with freeze_time(booking.date_start):
            booking.action_start()
        checkin = self.env["carshare.inspection"].create(
            {
                "kind": "checkin",
                "booking_id": booking.id,
                "vehicle_id": self.vehicle.id,
                "partner_id": self.alice.id,
                "company_id": self.company.id,
                "odometer": booking.odometer_start,
                "damage_ids": [
                    Command.create({"description": "Broken mirror", "responsible": True})
                ],
            }
        )
        damage = checkin.damage_ids
        self.assertFalse(damage.carshare_excess_move_id)
        with freeze_time(booking.date_end):
            booking.action_return(odometer=booking.odometer_start + 10)
        self.assertEqual(checkin.state, "done")
        self.assertAlmostEqual(damage.carshare_excess_move_id.amount_total, 1080.0)

    def test_damage_not_responsible_or_at_checkout_costs_nothing(self):
        booking = self._trip(FRIDAY_9H, 2)
        damage = self._damage(booking, responsible=False)
        self.assertFalse(damage.carshare_excess_move_id)
        self.assertEqual(damage.carshare_excess_status, "none")
        checkout = self.env["carshare.inspection"].create(
            {
                "kind": "checkout",
                "booking_id": booking.id,
                "vehicle_id": self.vehicle.id,
                "partner_id": self.alice.id,
                "company_id": self.company.id,
                "odometer": self.vehicle.odometer,
            }
        )
        checkout.action_done()
        found = self.env["carshare.damage"].create(
            {"inspection_id": checkout.id, "description": "Dent", "responsible": True}
        )
        self.assertFalse(found.carshare_excess_move_id)
        damage.responsible = True
        self.assertAlmostEqual(damage.carshare_excess_move_id.amount_untaxed, 900.0)

    def test_excess_bought_back(self):
        booking = self._book(FRIDAY_9H, 2)
        booking.carshare_insurance_buyback = True
        self._drive(booking)
        damage = self._damage(booking)
        self.assertFalse(damage.carshare_excess_move_id)
        self.assertEqual(damage.carshare_excess_status, "waived")
        self.assertFalse(self.env["account.move"].search([("carshare_damage_id", "=", damage.id)]))

    def test_excess_covered_by_yearly_insurance(self):
        self._insure(self.alice)
        booking = self._trip(FRIDAY_9H, 2)
        damage = self._damage(booking)
        self.assertFalse(damage.carshare_excess_move_id)
        self.assertEqual(damage.carshare_excess_status, "waived")

    def test_only_managers_hold_the_driver_responsible(self):
        """A fleet user cannot invoice the 1,080.00 excess by ticking "responsible" on a
        validated check-in, nor clear it."""
        booking = self._trip(FRIDAY_9H, 2)
        agent = new_test_user(
            self.env,
            "carshare_damage_agent",
            groups="carshare_fleet.group_carshare_user",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        damage = self._damage(booking, responsible=False)
        with self.assertRaisesRegex(AccessError, "Only a fleet manager"):
            damage.with_user(agent).responsible = True
        self.assertFalse(damage.responsible)
        self.assertFalse(self.env["account.move"].search([("carshare_damage_id", "=", damage.id)]))
        checkin = damage.inspection_id
        with self.assertRaisesRegex(AccessError, "Only a fleet manager"):
            self.env["carshare.damage"].with_user(agent).create(
                {"inspection_id": checkin.id, "description": "Dent", "responsible": True}
            )
        invoiced = self._damage(booking)
        with self.assertRaisesRegex(AccessError, "Only a fleet manager"):
            invoiced.with_user(agent).responsible = False
        self.assertEqual(invoiced.carshare_excess_move_id.state, "posted")
        damage.with_user(agent).description = "Scratched rear bumper, right"

    def test_clearing_responsible_credits_the_excess(self):
        """The manager clears "responsible": a 1,080.00 credit note reverses the invoice, the
        receivable, the excess income and the VAT are back to where they were."""
        booking = self._trip(FRIDAY_9H, 2)
        receivable = self.alice.property_account_receivable_id
        product = self.env.ref("carshare_billing.product_carshare_excess")
        income = product.product_tmpl_id._get_product_accounts()["income"]
        receivable_before = self._balance(receivable, self.alice)
        income_before = self._balance(income)
        damage = self._damage(booking)
        invoice = damage.carshare_excess_move_id
        vat = invoice.line_ids.filtered("tax_line_id").account_id
        vat_before = self._balance(vat) + 180.0
        damage.responsible = False
        credit_note = invoice.reversal_move_ids
        self.assertEqual(len(credit_note), 1)
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.state, "posted")
        self.assertAlmostEqual(credit_note.amount_total, 1080.0)
        self.assertEqual(invoice.payment_state, "reversed")
        self.assertFalse(damage.carshare_excess_move_id)
        self.assertEqual(damage.carshare_excess_status, "none")
        self.assertAlmostEqual(self._balance(receivable, self.alice), receivable_before)
        self.assertAlmostEqual(self._balance(income), income_before)
        self.assertAlmostEqual(self._balance(vat), vat_before)
        damage.responsible = True
        self.assertAlmostEqual(damage.carshare_excess_move_id.amount_total, 1080.0)
        self.assertNotEqual(damage.carshare_excess_move_id, invoice)

    def test_buyback_frozen_once_started(self):
        """Chosen before the trip: neither during the trip nor after it."""
        booking = self._book(FRIDAY_9H, 2)
        booking.carshare_insurance_buyback = True
        booking.carshare_insurance_buyback = False
        with freeze_time(booking.date_start):
            booking.action_start()
        with self.assertRaisesRegex(ValidationError, "can no longer be changed"):
            booking.carshare_insurance_buyback = True
        self._drive_back(booking)
        with self.assertRaisesRegex(ValidationError, "can no longer be changed"):
            booking.carshare_insurance_buyback = True

    def _drive_back(self, booking):
        with freeze_time(booking.date_end):
            booking.action_return(odometer=booking.odometer_start)

    def test_excess_amount_is_the_versions(self):
        self.version.insurance_excess = 500.0
        booking = self._trip(FRIDAY_9H, 2)
        self.assertAlmostEqual(self._damage(booking).carshare_excess_move_id.amount_total, 600.0)

    # -- per vehicle -------------------------------------------------------------------------------

    def test_vehicle_claims_and_premiums(self):
        booking = self._trip(FRIDAY_9H, 2)
        damage = self._damage(booking)
        damage.action_open_claim()
        self.env["fleet.vehicle.log.contract"].create(
            {
                "vehicle_id": self.vehicle.id,
                "cost_subtype_id": self.env.ref("carshare_billing.fleet_service_type_insurance").id,
                "amount": 850.0,
                "start_date": "2025-01-01",
                "expiration_date": "2025-12-31",
            }
        )
        self.assertEqual(self.vehicle.carshare_claim_count, 1)
        self.assertAlmostEqual(self.vehicle.carshare_insurance_premiums, 850.0)
        self.assertEqual(self.vehicle_2.carshare_claim_count, 0)
        action = self.vehicle.action_view_carshare_claims()
        self.assertEqual(self.env["carshare.claim"].search(action["domain"]), damage.claim_id)

    # -- estimates ---------------------------------------------------------------------------------

    def test_price_estimate_writes_nothing(self):
        """An unsaved booking of 3 h with the buy-back: 13.10 TTC, 3.75 + 0.83 + 7.60 (exempt)
        = 12.18 untaxed, and no order, booking or line created."""
        orders = self.env["sale.order"].search_count([])
        bookings = self.env["carshare.booking"].search_count([])
        estimate = self.env["carshare.booking"]._carshare_price_estimate_for(
            {
                "community_id": self.community.id,
                "vehicle_id": self.vehicle.id,
                "partner_id": self.alice.id,
                "usage": "perso",
                "date_start": FRIDAY_9H,
                "date_end": FRIDAY_9H + timedelta(hours=3),
                "carshare_insurance_buyback": True,
            }
        )
        self.assertAlmostEqual(estimate["total"], 13.1)
        self.assertAlmostEqual(estimate["untaxed"], 12.18)
        self.assertEqual(estimate["currency"], self.company.currency_id)
        self.assertEqual(
            [row["key"] for row in estimate["lines"]], ["time", "booking_fee", "insurance"]
        )
        self.assertEqual(self.env["sale.order"].search_count([]), orders)
        self.assertEqual(self.env["carshare.booking"].search_count([]), bookings)

    def test_estimate_matches_the_order_and_the_simulator(self):
        booking = self._book(FRIDAY_9H, 5)
        estimate = booking._carshare_price_estimate()
        self.assertAlmostEqual(estimate["total"], booking.sale_order_id.amount_total)
        self.assertAlmostEqual(estimate["untaxed"], booking.sale_order_id.amount_untaxed)
        simulator = self.env["carshare.tariff.simulator"].create(
            {
                "tariff_id": self.tariff.id,
                "date_start": FRIDAY_9H,
                "date_end": FRIDAY_9H + timedelta(hours=5),
            }
        )
        self.assertAlmostEqual(simulator.amount_total, estimate["total"])

    def test_cancellation_fee_estimate(self):
        """5.00 when cancelled less than 24 hours before the start, nothing before."""
        self.version.write({"cancellation_fee": 5.0, "cancellation_deadline_hours": 24})
        booking = self._book(FRIDAY_9H, 3)
        with freeze_time(FRIDAY_9H - timedelta(hours=30)):
            self.assertEqual(booking._carshare_cancellation_fee_estimate(), 0.0)
        with freeze_time(FRIDAY_9H - timedelta(hours=2)):
            self.assertAlmostEqual(booking._carshare_cancellation_fee_estimate(), 5.0)
