import random
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.carshare_billing.tests.common import FRIDAY_9H, CarshareBillingCase

from .en16931 import RAM, en16931_errors

# Income accounts of the French chart (PCG 2025) per component, as docs/billing.md decides.
EXPECTED_ACCOUNTS = {
    "time": "706000",
    "distance": "706000",
    "booking_fee": "708800",
    "monthly_fee": "708800",
    "insurance": "708800",
    "late_fee": "758100",
    "excess": "758000",
}


def _cents(amount):
    """``amount`` (a Decimal) rounded half up to the cent, as a float."""
    return float(amount.quantize(Decimal("0.01"), ROUND_HALF_UP))


@tagged("post_install", "-at_install")
class TestAccounting(CarshareBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.version.km_price = 0.2
        cls.version.insurance_day_price = 7.6
        cls.company.partner_id.write({"siren": "732829320", "nic": "00074", "vat": "FR44732829320"})
        cls.employer.write({"siren": "214401093", "nic": "00015", "vat": "FR74214401093"})

    def _product_lines(self, invoice, component=None):
        return invoice.invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
            and (not component or line.carshare_component == component)
        )

    def _chart_tax(self, name):
        return self.env.ref(f"account.{self.company.id}_{name}")

    # -- VAT on payment -------------------------------------------------------------------------

    def test_vat_due_on_payment(self):
        """A 2 h trip: 3.00 + 1.00 + 4.00 = 8.00 TTC, every line under the French chart's
        service tax due on payment (20% S INC), 8.00 / 1.2 = 6.67 HT and 1.33 VAT. The VAT
        waits on the chart's transition account until the driver pays, then is collected."""
        invoice = self._trip(FRIDAY_9H, 2).carshare_invoice_ids
        service_ttc = self._chart_tax("tva_normale_encaissement_ttc")
        for line in self._product_lines(invoice):
            self.assertEqual(line.tax_ids, service_ttc)
        self.assertEqual(service_ttc.tax_scope, "service")
        self.assertEqual(service_ttc.tax_exigibility, "on_payment")
        self.assertAlmostEqual(invoice.amount_untaxed, 6.67)
        self.assertAlmostEqual(invoice.amount_tax, 1.33)
        vat_line = invoice.line_ids.filtered("tax_line_id")
        self.assertEqual(vat_line.account_id, service_ttc.cash_basis_transition_account_id)
        self.assertAlmostEqual(vat_line.balance, -1.33)

        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"payment_date": "2025-01-12"})._create_payments()
        caba = invoice.tax_cash_basis_created_move_ids
        self.assertEqual(len(caba), 1)
        collected = service_ttc.invoice_repartition_line_ids.filtered(
            lambda rep: rep.repartition_type == "tax"
        ).account_id
        self.assertEqual(collected.code, "445710")
        self.assertAlmostEqual(
            sum(caba.line_ids.filtered(lambda aml: aml.account_id == collected).mapped("balance")),
            -1.33,
        )

    def test_vat_on_debits_when_the_company_opted(self):
        """Opted for debits: the service taxes are due at invoicing, on the VAT account
        directly, still as services."""
        self.company.carshare_vat_on_debits = True
        invoice = self._trip(FRIDAY_9H, 2).carshare_invoice_ids
        taxes = self._product_lines(invoice).tax_ids
        self.assertEqual(len(taxes), 1)
        self.assertEqual(taxes.tax_exigibility, "on_invoice")
        self.assertEqual(taxes.tax_scope, "service")
        self.assertTrue(taxes.price_include)
        self.assertEqual(taxes.amount, 20.0)
        self.assertEqual(invoice.line_ids.filtered("tax_line_id").account_id.code, "445710")
        self.assertAlmostEqual(invoice.amount_tax, 1.33)

    def test_tax_included_twin_keeps_the_exigibility(self):
        """Asked for prices with taxes included, each tax gives its twin due at the same
        moment and for the same scope, whichever way it is asked."""
        goods = self._chart_tax("tva_normale")
        service = self._chart_tax("tva_normale_encaissement")
        twin = service._carshare_tax_included()
        self.assertEqual(twin, self._chart_tax("tva_normale_encaissement_ttc"))
        self.assertEqual(goods._carshare_service_taxes(self.company), service)
        self.assertEqual(goods._carshare_tax_included(), self._chart_tax("tva_normale_ttc"))

    # -- rounding (EN 16931, BR-S-09) -----------------------------------------------------------

    def test_vat_rounded_on_the_total_per_rate(self):
        """13 h: 19.50 + 1.00 + 4.00 = 24.50 TTC. Rounded per line: 16.25 + 0.83 + 3.33 = 20.41
        HT and 4.09 VAT; EN 16931 computes the VAT on the total of the rate: 24.50 / 1.2 =
        20.42 HT and 20.42 x 20 % = 4.08 VAT."""
        invoice = self._trip(FRIDAY_9H, 13).carshare_invoice_ids
        self.assertEqual(self.company.tax_calculation_rounding_method, "round_globally")
        self.assertAlmostEqual(invoice.amount_total, 24.5)
        self.assertAlmostEqual(invoice.amount_untaxed, 20.42)
        self.assertAlmostEqual(invoice.amount_tax, 4.08)
        self.assertEqual(en16931_errors(invoice._carshare_facturx_xml()), [])

    # -- income accounts ------------------------------------------------------------------------

    def test_income_accounts_per_component(self):
        """On the French chart: time and distance on 706000, fees and insurance on 708800, the
        late fee on 758100; the excess of a damage on 758000."""
        booking = self._book(FRIDAY_9H, 2)
        booking.carshare_insurance_buyback = True
        invoice = self._drive(booking, km=10, late_minutes=20).carshare_invoice_ids
        accounts = {
            line.carshare_component: line.account_id.code for line in self._product_lines(invoice)
        }
        self.assertEqual(accounts, {k: v for k, v in EXPECTED_ACCOUNTS.items() if k != "excess"})
        excess = self.env.ref("carshare_billing.product_carshare_excess").with_company(self.company)
        self.assertEqual(excess.property_account_income_id.code, "758000")

    def test_income_account_set_by_the_accountant(self):
        """The accountant moves the time to 706100: the next invoice follows."""
        account = self.env["account.account"].create(
            {"name": "Autopartage", "code": "706100", "account_type": "income"}
        )
        time = self.env.ref("carshare_billing.product_carshare_time").with_company(self.company)
        time.property_account_income_id = account
        invoice = self._trip(FRIDAY_9H, 2).carshare_invoice_ids
        self.assertEqual(self._product_lines(invoice, "time").account_id, account)
        self.assertEqual(self._product_lines(invoice, "booking_fee").account_id.code, "708800")

    def test_generated_invoices_keep_each_rate_whole(self):
        """Invoices of random tax-included lines, some exempt: the total is the sum of the
        prices; each rate's VAT is its prices x 20 / 120 rounded once, its lines are booked at
        the rest; the Factur-X keeps EN 16931's rules. The figures are recomputed here from the
        prices alone."""
        service = self._chart_tax("tva_normale_encaissement_ttc")
        exempt = self.company.carshare_insurance_tax_id
        draw = random.Random(14)
        for _case in range(12):
            lines = [
                (draw.choice([service, exempt]), round(draw.uniform(0.5, 30.0), 2))
                for _line in range(draw.randint(2, 6))
            ]
            invoice = self._time_invoice(lines)
            invoice.action_post()
            total_taxed = round(sum(p for tax, p in lines if tax == service), 2)
            total_exempt = round(sum(p for tax, p in lines if tax == exempt), 2)
            vat = _cents(Decimal(str(total_taxed)) / Decimal(6))
            base_taxed = round(total_taxed - vat, 2)
            booked = {
                tax: -sum(
                    invoice.invoice_line_ids.filtered(lambda aml, t=tax: aml.tax_ids == t).mapped(
                        "balance"
                    )
                )
                for tax in (service, exempt)
            }
            self.assertAlmostEqual(invoice.amount_total, total_taxed + total_exempt, msg=lines)
            self.assertAlmostEqual(invoice.amount_tax, vat, msg=lines)
            self.assertAlmostEqual(booked[service], base_taxed, msg=lines)
            self.assertAlmostEqual(booked[exempt], total_exempt, msg=lines)
            self.assertEqual(en16931_errors(invoice._carshare_facturx_xml()), [], lines)

    def _time_invoice(self, lines):
        """A draft invoice to the employer with one time line per ``(tax, price)``."""
        product = self.env.ref("carshare_billing.product_carshare_time")
        return self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.employer.id,
                "invoice_date": "2025-01-31",
                "carshare_community_id": self.community.id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "name": "Time",
                            "quantity": 1,
                            "price_unit": price,
                            "tax_ids": [Command.set(tax.ids)],
                            "carshare_component": "time",
                        }
                    )
                    for tax, price in lines
                ],
            }
        )

    def test_tax_included_base_on_a_half_cent(self):
        """2.95 + 25.70 = 28.65 TTC at 20 %: 23.875 HT, 4.775 VAT. The VAT rounds to 4.78 and
        the base is the rest, 23.87: the driver pays the prices, not 23.88 + 4.78 = 28.66."""
        service = self._chart_tax("tva_normale_encaissement_ttc")
        invoice = self._time_invoice([(service, 2.95), (service, 25.70)])
        self.assertAlmostEqual(invoice.amount_total, 28.65)
        self.assertAlmostEqual(invoice.amount_tax, 4.78)
        self.assertAlmostEqual(invoice.amount_untaxed, 23.87)
        self.assertAlmostEqual(-sum(invoice.invoice_line_ids.mapped("balance")), 23.87)
        invoice.action_post()
        self.assertEqual(en16931_errors(invoice._carshare_facturx_xml()), [])

    # -- insurance (art. 261 C CGI) -------------------------------------------------------------

    def _insured_trip(self):
        """2 h with the buy-back: 3.00 + 1.00 + 4.00 + 7.60 = 15.60 TTC."""
        booking = self._book(FRIDAY_9H, 2)
        booking.carshare_insurance_buyback = True
        return self._drive(booking).carshare_invoice_ids

    def test_insurance_exempt_by_default(self):
        """The buy-back is exempt: 7.60 HT without VAT; the rest 8.00 TTC = 6.67 + 1.33 VAT;
        15.60 in all, 14.27 HT. The invoice states the exemption, and its Factur-X carries
        an exempt (E) breakdown with the reason."""
        invoice = self._insured_trip()
        line = self._product_lines(invoice, "insurance")
        self.assertEqual(line.tax_ids, self.company.carshare_insurance_tax_id)
        self.assertEqual(line.tax_ids.amount, 0.0)
        self.assertAlmostEqual(line.price_subtotal, 7.6)
        self.assertAlmostEqual(invoice.amount_total, 15.6)
        self.assertAlmostEqual(invoice.amount_untaxed, 14.27)
        self.assertAlmostEqual(invoice.amount_tax, 1.33)
        self.assertIn("261 C", invoice.taxes_legal_notes)
        xml = invoice._carshare_facturx_xml()
        self.assertEqual(en16931_errors(xml), [])
        tree = etree.fromstring(xml)
        exempt = [
            tax
            for tax in tree.iterfind(
                f".//{RAM}ApplicableHeaderTradeSettlement/{RAM}ApplicableTradeTax"
            )
            if tax.findtext(f"{RAM}CategoryCode") == "E"
        ]
        self.assertEqual(len(exempt), 1)
        self.assertEqual(exempt[0].findtext(f"{RAM}BasisAmount"), "7.60")
        self.assertIn("261 C", exempt[0].findtext(f"{RAM}ExemptionReason"))

    def test_insurance_taxed_when_the_company_says_so(self):
        """Taxed: 15.60 TTC at 20 %, 15.60 / 1.2 = 13.00 HT and 2.60 VAT; the buy-back is
        7.60 TTC under the service tax due on payment."""
        self.company.carshare_insurance_vat_exempt = False
        invoice = self._insured_trip()
        line = self._product_lines(invoice, "insurance")
        self.assertEqual(line.tax_ids, self._chart_tax("tva_normale_encaissement_ttc"))
        self.assertAlmostEqual(invoice.amount_untaxed, 13.0)
        self.assertAlmostEqual(invoice.amount_tax, 2.6)
        self.assertNotIn("261 C", invoice.taxes_legal_notes or "")

    def test_one_started_day(self):
        invoice = self._insured_trip()
        name = self._product_lines(invoice, "insurance").name
        self.assertTrue(name.endswith("Insurance excess buy-back, 1 started day"), name)

    # -- Factur-X -------------------------------------------------------------------------------

    def _employer_invoice(self):
        """Bob drives 3 h on the 10th and 2 h on the 14th of January for Acme, without monthly
        fee: (4.50 + 1.00) + (3.00 + 1.00) = 9.50 TTC, 9.50 / 1.2 = 7.92 HT, 1.58 VAT."""
        self.version.monthly_fee = 0.0
        self._trip(FRIDAY_9H, 3, driver=self.bob, usage="pro")
        self._trip(FRIDAY_9H + timedelta(days=4), 2, driver=self.bob, usage="pro")
        return self._month_end().filtered(lambda m: m.partner_id == self.employer)

    def test_factur_x_of_an_employer_invoice(self):
        """EN 16931's totals and VAT rules hold; the SIRETs are under scheme 0009; the billing
        period is the month; each line names its booking; the VAT is due on payment (72)."""
        invoice = self._employer_invoice()
        self.assertAlmostEqual(invoice.amount_total, 9.5)
        self.assertAlmostEqual(invoice.amount_untaxed, 7.92)
        self.assertAlmostEqual(invoice.amount_tax, 1.58)
        xml = invoice._carshare_facturx_xml()
        self.assertEqual(en16931_errors(xml), [])
        tree = etree.fromstring(xml)
        seller = tree.find(f".//{RAM}SellerTradeParty/{RAM}SpecifiedLegalOrganization/{RAM}ID")
        self.assertEqual((seller.text, seller.get("schemeID")), ("73282932000074", "0009"))
        buyer = tree.find(f".//{RAM}BuyerTradeParty/{RAM}SpecifiedLegalOrganization/{RAM}ID")
        self.assertEqual((buyer.text, buyer.get("schemeID")), ("21440109300015", "0009"))
        settlement = tree.find(f".//{RAM}ApplicableHeaderTradeSettlement")
        period = settlement.find(f"{RAM}BillingSpecifiedPeriod")
        self.assertEqual(period.findtext(f"{RAM}StartDateTime/{{*}}DateTimeString"), "20250101")
        self.assertEqual(period.findtext(f"{RAM}EndDateTime/{{*}}DateTimeString"), "20250131")
        self.assertEqual(settlement.findtext(f"{RAM}ApplicableTradeTax/{RAM}DueDateTypeCode"), "72")
        bookings = self.env["carshare.booking"].search([("partner_id", "=", self.bob.id)])
        references = {
            line.findtext(f".//{RAM}AdditionalReferencedDocument/{RAM}IssuerAssignedID")
            for line in tree.iterfind(f".//{RAM}IncludedSupplyChainTradeLineItem")
            if line.find(f".//{RAM}AdditionalReferencedDocument") is not None
        }
        self.assertEqual(references, set(bookings.mapped("name")))
        line_periods = {
            line.findtext(f".//{RAM}BillingSpecifiedPeriod/{RAM}StartDateTime/{{*}}DateTimeString")
            for line in tree.iterfind(f".//{RAM}IncludedSupplyChainTradeLineItem")
        }
        self.assertLessEqual({"20250110", "20250114"}, line_periods)

    def test_factur_x_vat_on_debits(self):
        self.company.carshare_vat_on_debits = True
        tree = etree.fromstring(self._employer_invoice()._carshare_facturx_xml())
        self.assertEqual(
            tree.findtext(
                f".//{RAM}ApplicableHeaderTradeSettlement/{RAM}ApplicableTradeTax/"
                f"{RAM}DueDateTypeCode"
            ),
            "5",
        )

    # -- e-reporting (B2C) ----------------------------------------------------------------------

    def test_ereporting_per_day_and_rate(self):
        """Alice's 2 h trip of the 10th (8.00 TTC: 6.67 + 1.33 VAT) is a B2C transaction of
        that day at 20 %; paid on the 12th, a payment of that day, the VAT being due on
        payment. Bob's professional trip, invoiced to Acme, is e-invoiced, not e-reported."""
        invoice = self._trip(FRIDAY_9H, 2).carshare_invoice_ids
        self._trip(FRIDAY_9H, 2, driver=self.bob, usage="pro", vehicle=self.vehicle_2)
        self._month_end()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"payment_date": "2025-01-12"})._create_payments()
        self.env.flush_all()
        rows = self.env["carshare.ereporting"].search([("company_id", "=", self.company.id)])
        figures = sorted(
            (row.kind, str(row.date), row.rate, row.base_amount, row.tax_amount, row.move_count)
            for row in rows
        )
        self.assertEqual(
            figures,
            [
                ("payment", "2025-01-12", 20.0, 6.67, 1.33, 1),
                ("transaction", str(invoice.invoice_date), 20.0, 6.67, 1.33, 1),
            ],
        )

    def test_ereporting_is_the_accountants(self):
        manager = new_test_user(
            self.env, "fleet.boss", groups="carshare_fleet.group_carshare_manager"
        )
        with self.assertRaises(AccessError):
            self.env["carshare.ereporting"].with_user(manager).search([])
