"""Months of AutoFree 61 activity for the demo, made day by day through the product's own actions.

The clock is frozen at each moment of the story (freezegun, as the tests do): bookings are made
the day before they start, picked up, returned with their kilometres and energy, invoiced, their
cards charged and their deposits released by the billing's own crons; the month-end bills the
employers (SEPA direct debit, Chorus Pro through a fake of its HTTP API, never the real one), the
quarter's reversal statement is computed and confirmed, the neighbours keep their logbook and
settle each month. Nothing is written into accounting tables by hand.
"""

import base64
import io
import logging
import random
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from unittest.mock import patch

import pytz
import requests
from dateutil.relativedelta import relativedelta
from freezegun import freeze_time
from PIL import Image, ImageDraw

from odoo import Command, fields
from odoo.exceptions import UserError, ValidationError
from odoo.tools import config

from odoo.addons.carshare_billing_fr.fakes.fake_chorus import FakeChorusPro

_logger = logging.getLogger(__name__)

TZ = pytz.timezone("Europe/Paris")
RESIDENTS = 170
AGENTS = 14
EMPLOYEES = 6
UPCOMING_DAYS = 7
FIRST_NAMES = [
    "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Jade", "Louise", "Alice", "Lina",
    "Hugo", "Lucas", "Louis", "Nathan", "Gabriel", "Jules", "Arthur", "Raphaël", "Adam", "Tom",
    "Sarah", "Anaïs", "Clara", "Élise", "Margaux", "Pierre", "Antoine", "Mathis", "Noé", "Éric",
]  # fmt: skip
LAST_NAMES = [
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefèvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier",
]  # fmt: skip
DAMAGES = [
    ("Pare-chocs arrière rayé", "rear", "minor"),
    ("Portière avant gauche enfoncée", "left", "minor"),
    ("Pare-brise fissuré", "front", "major"),
    ("Rétroviseur droit cassé", "right", "minor"),
]
PURPOSES = ["Marché", "Courses à Annonay", "Saint-Étienne", "Randonnée dans le Pilat", "Gare"]
# The employer paying its agents' trips by direct debit, with a valid French IBAN.
SEPA_EMPLOYER = "Orne Logistique SAS"
SEPA_IBAN = "FR1420041010050500013M02606"
COMPANY_IBAN = "FR7630001007941234567890185"


def local(day, hour, minute=0):
    """Naive UTC of ``hour:minute`` on ``day`` in Paris."""
    moment = TZ.localize(datetime(day.year, day.month, day.day, hour, minute))
    return moment.astimezone(pytz.utc).replace(tzinfo=None)


def damage_photo(rng, label):
    """A small PNG standing for the driver's photo of a damage."""
    image = Image.new("RGB", (160, 120), (rng.randrange(90, 200),) * 3)
    draw = ImageDraw.Draw(image)
    for _ in range(3):
        x, y = rng.randrange(20, 140), rng.randrange(20, 100)
        draw.line((x, y, x + rng.randrange(-30, 30), y + rng.randrange(-20, 20)), "black", 3)
    draw.text((6, 104), label[:26], fill="white")
    stream = io.BytesIO()
    image.save(stream, "PNG")
    return base64.b64encode(stream.getvalue())


class DemoHistory:
    """Play the history of AutoFree 61 from ``date_from`` to ``until`` (both dates, ``until``
    excluded) in ``env`` (superuser); ``commit`` is called after each simulated day. ``scale``
    multiplies the number of bookings (1.0: about 510 residents' bookings a month)."""

    def __init__(self, env, date_from, until, seed=61, commit=None, scale=1.0):
        self.env = env(
            context=dict(
                env.context,
                tracking_disable=True,
                mail_notrack=True,
                mail_create_nolog=True,
                mail_notify_force_send=False,
                # work queued as jobs (queue_job) is done at once, at its moment of the story
                queue_job__no_delay=True,
                lang="en_US",
            )
        )
        self.date_from = date_from
        self.until = until
        self.rng = random.Random(seed)
        self.commit = commit or (lambda: None)
        self.scale = scale
        self.clock = None
        self.stats = {"bookings": 0, "resident": 0, "pro": 0, "no_show": 0, "late": 0}
        self.stats.update(damages=0, cancelled=0, cpu=0.0, wall=0.0)
        self.chorus = FakeChorusPro()
        self.community = env.ref("carshare_fleet.community_autofree61")
        self.company = self.community.company_id
        self.first_mail = env["mail.mail"].search([], order="id desc", limit=1).id
        self.first_command = env["carshare.iot.command"].search([], order="id desc", limit=1).id

    # -- the story -------------------------------------------------------------------------------

    def run(self):
        started, cpu = time.monotonic(), time.process_time()
        with freeze_time(local(self.date_from, 0) - timedelta(days=1)) as clock:
            self.clock = clock
            self._cast()
            self.commit()
            day = self.date_from
            plan = self._plan(day)
            self._at(local(day, 0) - timedelta(minutes=10))
            self._book(plan)
            while day < self.until:
                next_plan = self._plan(day + timedelta(days=1))
                self._play_day(day, plan, next_plan)
                plan, day = next_plan, day + timedelta(days=1)
                self._end_of_day()
            if self.until.day == 1:
                # the night of today's 1st is past: the month ended is billed
                self._month_start(self.until)
                self._end_of_day()
        if self.until >= fields.Date.today():
            self._upcoming()
        self.stats["wall"] = time.monotonic() - started
        self.stats["cpu"] = time.process_time() - cpu
        return self.stats

    def _at(self, moment):
        self.clock.move_to(moment)

    def _end_of_day(self):
        # Nothing leaves the machine: the notifications the story makes are not mailed.
        self.env["mail.mail"].search([("id", ">", self.first_mail)]).unlink()
        self._expire_commands()
        self.commit()
        self.env.invalidate_all()

    def _expire_commands(self):
        """The story's device commands are months old for the devices, which live in today's
        time: left expired, as a bridge would leave them on sight, rather than churned by it."""
        self.env["carshare.iot.command"].search(
            [("id", ">", self.first_command), ("state", "in", ("pending", "sent"))]
        ).write({"state": "expired"})

    def _play_day(self, day, plan, next_plan):
        if day.day == 1 and day > self.date_from:
            _logger.info("history at %s: %s", day, self.stats)
            self._month_start(day)
        events = []
        for booking, story in plan:
            events.append((story["pickup"], 0, "start", booking, story))
            events.append((story["return"], 1, "return", booking, story))
        for moment, _order, kind, booking, story in sorted(events, key=lambda e: e[:2]):
            if story.get("skip"):
                continue
            self._at(moment)
            if kind == "start":
                booking.action_start(energy=story["energy"])
            else:
                self._return(booking, story)
        self._at(local(day, 23, 45))
        self._bill_returns()
        self._at(local(day, 23, 50))
        if day + timedelta(days=1) < self.until:
            self._book(next_plan)
        self.env["carshare.booking"]._cron_detect_no_shows()
        # The card charges run in a cursor of their own (queue_job's allow_commit), as the
        # nightly cron's jobs do: they would wait for the day's open transaction, which holds
        # the same drivers' rows, and it for them.
        self._expire_commands()
        self.commit()
        self.env["account.move"]._cron_carshare_charge_cards()
        self.env.invalidate_all()
        self.env["carshare.deposit"]._cron_carshare_deposits()
        if day.weekday() in (1, 5):
            self._neighbours_trip(day)

    # -- cast and set-up -------------------------------------------------------------------------

    def _cast(self):
        """The members, cards, employers and payment set-up the story needs, made once."""
        Partner = self.env["res.partner"]
        marker = "carshare-demo-history"
        self.residents = Partner.search([("ref", "=", f"{marker}-resident")])
        self.agents = Partner.search([("ref", "=", f"{marker}-agent")])
        self.employees = Partner.search([("ref", "=", f"{marker}-employee")])
        self.public_body = self.env.ref("carshare_fleet.partner_cu_alencon")
        self.card_provider = self._card_provider()
        self.sepa_employer = self._sepa_employer()
        self._chorus_customer()
        self._reversal_account()
        if not self.residents:
            self.residents = self._members(self._count(RESIDENTS), "resident", f"{marker}-resident")
            self.agents = self._members(self._count(AGENTS), "agent", f"{marker}-agent")
            self.employees = self._members(
                self._count(EMPLOYEES), "employee", f"{marker}-employee", self.sepa_employer
            )
            self._cards(self.residents)
        self.vehicles = self.env["fleet.vehicle"].search(
            [
                ("carshare_shared", "=", True),
                ("carshare_community_ids", "in", self.community.id),
                ("carshare_state", "not in", ("maintenance", "out_of_service", "in_use")),
            ],
            order="id",
        )
        community = self._neighbours_community()
        self.logbook_from = community and self.env["carshare.neighbours.trip"].search(
            [("community_id", "=", community.id)], order="date, odometer_start", limit=1
        )

    def _count(self, members):
        return max(round(members * self.scale), 3)

    def _members(self, count, audience, ref, employer=None):
        lang = self.env["res.lang"]._get_code("fr_FR") or "en_US"
        values = []
        for index in range(count):
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            values.append(
                {
                    "name": f"{first} {last}",
                    "ref": ref,
                    "email": f"{audience}{index + 1}@example.com",
                    "lang": lang,
                    "tz": "Europe/Paris",
                    "country_id": self.env.ref("base.fr").id,
                    "carshare_birthdate": date(1960 + index % 40, 1 + index % 12, 1 + index % 28),
                    "driving_licence_number": f"61{audience[:2].upper()}{index:06d}",
                    "driving_licence_category": "B",
                    "driving_licence_issue_date": date(2005, 1, 1),
                    "driving_licence_expiry_date": date(2035, 1, 1),
                    "carshare_verified_on": fields.Datetime.now() - timedelta(days=30),
                }
            )
        partners = self.env["res.partner"].create(values)
        self.env["carshare.membership"].create(
            [
                {
                    "community_id": self.community.id,
                    "partner_id": partner.id,
                    "audience": audience,
                    "employer_id": employer and employer.id,
                    "state": "active",
                    "date_start": self.date_from - timedelta(days=60),
                }
                for partner in partners
            ]
        )
        return partners

    def _reversal_account(self):
        """The beneficiaries' bills go to 613500 in the French chart; another chart's accountant
        chooses an expense account."""
        rule = self.env["carshare.reversal.rule"].search([("community_id", "=", self.community.id)])
        try:
            rule and rule._carshare_expense_account()
        except UserError:
            rule.account_id = self.env["account.account"].search(
                [
                    *self.env["account.account"]._check_company_domain(self.company),
                    ("account_type", "=", "expense"),
                ],
                limit=1,
            )

    def _card_provider(self):
        """The company's card provider; Odoo's demo provider in test state when none is set."""
        provider = self.company.carshare_card_provider_id
        if provider or "demo" not in dict(self.env["payment.provider"]._fields["code"].selection):
            return provider
        provider = self.env.ref("payment.payment_provider_demo")
        method = self.env.ref("payment_demo.payment_method_demo")
        provider.write(
            {
                "company_id": self.company.id,
                "state": "test",
                "capture_manually": True,
                "journal_id": self._bank_journal().id,
                "payment_method_ids": [Command.set(method.ids)],
            }
        )
        self.company.carshare_card_provider_id = provider
        return provider

    def _cards(self, partners):
        """A card for each resident; two of them are refused, to show the dunning."""
        if not self.card_provider:
            return
        method = self.card_provider.payment_method_ids[:1]
        self.env["payment.token"].create(
            [
                {
                    "provider_id": self.card_provider.id,
                    "payment_method_id": method.id,
                    "partner_id": partner.id,
                    "provider_ref": f"demo-card-{partner.id}",
                    "payment_details": f"{4242 + index % 7:04d}",
                    "demo_simulated_state": "error" if index in (7, 77) else "done",
                }
                for index, partner in enumerate(partners)
            ]
        )

    def _bank_journal(self):
        return self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.company.id)], limit=1
        )

    def _sepa_employer(self):
        """The employer with a valid SEPA mandate; made, with the company's direct-debit mode,
        when the demo has none."""
        employers = (
            self.env["carshare.membership"]
            .search([("community_id", "=", self.community.id), ("employer_id", "!=", False)])
            .employer_id
        )
        mandate = self.env["account.banking.mandate"].search(
            [
                ("state", "=", "valid"),
                ("partner_id", "in", employers.ids),
                ("partner_id.customer_payment_mode_id.payment_order_ok", "=", True),
            ],
            limit=1,
        )
        if mandate:
            return mandate.partner_id
        sdd = self.env.ref("account_banking_sepa_direct_debit.sepa_direct_debit")
        journal = self._bank_journal()
        if not self.company.sepa_creditor_identifier:
            self.company.sepa_creditor_identifier = "FR78ZZZ424242"
        bank = self.env["res.bank"].create({"name": "La Banque Postale", "bic": "PSSTFRPP"})
        if not journal.bank_account_id:
            journal.bank_account_id = self.env["res.partner.bank"].create(
                {
                    "acc_number": COMPANY_IBAN,
                    "bank_id": bank.id,
                    "partner_id": self.company.partner_id.id,
                }
            )
        if sdd not in journal.inbound_payment_method_line_ids.payment_method_id:
            journal.inbound_payment_method_line_ids = [
                Command.create({"payment_method_id": sdd.id})
            ]
        mode = self.env["account.payment.mode"].create(
            {
                "name": "SEPA direct debit",
                "company_id": self.company.id,
                "payment_method_id": sdd.id,
                "bank_account_link": "fixed",
                "fixed_journal_id": journal.id,
            }
        )
        employer = self.env["res.partner"].create(
            {
                "name": SEPA_EMPLOYER,
                "is_company": True,
                "street": "12 rue de la Demi-Lune",
                "zip": "61000",
                "city": "Alençon",
                "country_id": self.env.ref("base.fr").id,
                "customer_payment_mode_id": mode.id,
                "carshare_purchase_order_ref": "OL-AUTOPARTAGE",
            }
        )
        account = self.env["res.partner.bank"].create(
            {"acc_number": SEPA_IBAN, "bank_id": bank.id, "partner_id": employer.id}
        )
        self.env["account.banking.mandate"].create(
            {
                "partner_bank_id": account.id,
                "company_id": self.company.id,
                "format": "sepa",
                "type": "recurrent",
                "scheme": "B2B",
                "recurrent_sequence_type": "first",
                "signature_date": self.date_from - timedelta(days=90),
                "unique_mandate_reference": "OL-CARSHARE-01",
                "state": "valid",
            }
        )
        return employer

    def _chorus_customer(self):
        """The public body is invoiced through Chorus Pro: its service code and commitment
        number, and the company's API account (the transmission goes to ``FakeChorusPro``)."""
        body = self.public_body
        if not self.company.partner_id.siret:
            _logger.warning("%s has no SIRET: no invoice goes to Chorus Pro", self.company.name)
            return
        manual_in = self._bank_journal().inbound_payment_method_line_ids.filtered(
            lambda line: line.code == "manual"
        )[:1]
        # Chorus Pro refuses an invoice without its payment method.
        (body | body.child_ids).filtered(
            lambda partner: not partner.property_inbound_payment_method_line_id
        ).write({"property_inbound_payment_method_line_id": manual_in.id})
        if body.invoice_sending_method != "fr_chorus":
            fr = self.env.ref("base.fr")
            body.write(
                {
                    "siren": body.siren or "214401093",
                    "nic": body.nic or "00015",
                    "vat": body.vat or "FR74214401093",
                    "country_id": fr.id,
                    "invoice_sending_method": "fr_chorus",
                    "fr_chorus_required": "service_and_engagement",
                    "carshare_purchase_order_ref": body.carshare_purchase_order_ref
                    or "EJ-2026-0061",
                    "property_inbound_payment_method_line_id": manual_in.id,
                }
            )
            service = self.env["chorus.partner.service"].create(
                {"partner_id": body.id, "code": "SVC-FLOTTE", "name": "Service flotte"}
            )
            self.env["res.partner"].create(
                {
                    "name": "Service flotte",
                    "type": "invoice",
                    "parent_id": body.id,
                    "fr_chorus_service_id": service.id,
                    "property_inbound_payment_method_line_id": manual_in.id,
                }
            )
        if not self.company.fr_chorus_api_login:
            self.company.write(
                {
                    "fr_chorus_invoice_format": "pdf_factur-x",
                    "fr_chorus_api_login": "TECH_autofree61@cpro.fr",
                    "fr_chorus_api_password": "demo",
                }
            )

    @contextmanager
    def _fake_chorus_pro(self):
        """Chorus Pro's API answered by the tests' fake, at the HTTP boundary."""
        send = requests.Session.send
        chorus = self.chorus

        def fake_send(session, request, **kwargs):
            if "piste.gouv.fr" in request.url:
                return chorus.answer(request)
            return send(session, request, **kwargs)

        options = {"chorus_api_oauth_id": "demo", "chorus_api_oauth_secret": "demo"}
        with patch.object(requests.Session, "send", fake_send), patch.dict(config.options, options):
            self.env.registry.clear_cache()  # the PISTE token is cached
            yield

    # -- bookings --------------------------------------------------------------------------------

    def _plan(self, day):
        """The bookings to make for ``day``: [(values, story)], each vehicle's slots apart."""
        weekend = day.weekday() >= 5
        plan = []
        for vehicle in self.vehicles:
            slots = []
            if weekend:
                if self.rng.random() < 0.75 * self.scale:
                    slots.append(
                        ("perso", local(day, 9 + self.rng.randrange(2)), 2 + self.rng.randrange(3))
                    )
                if self.rng.random() < 0.55 * self.scale:
                    slots.append(
                        ("perso", local(day, 16 + self.rng.randrange(2)), 2 + self.rng.randrange(3))
                    )
            else:
                if self.rng.random() < 0.4 * self.scale:
                    slots.append(
                        ("pro", local(day, 8 + self.rng.randrange(2)), 2 + self.rng.randrange(5))
                    )
                if self.rng.random() < 0.36 * self.scale:
                    slots.append(
                        (
                            "perso",
                            local(day, 18, 30 * self.rng.randrange(2)),
                            2 + self.rng.randrange(3),
                        )
                    )
            for usage, start, hours in slots:
                plan.append(
                    (
                        self._booking_values(vehicle, usage, start, hours),
                        self._story(day, start, hours),
                    )
                )
        return plan

    def _booking_values(self, vehicle, usage, start, hours):
        if usage == "pro":
            driver = self.rng.choice(self.agents + self.employees)
        else:
            driver = self.rng.choice(self.residents)
        values = {
            "community_id": self.community.id,
            "vehicle_id": vehicle.id,
            "partner_id": driver.id,
            "usage": usage,
            "date_start": start,
            "date_end": start + timedelta(hours=hours),
        }
        if usage == "pro" and driver in self.agents:
            values["employer_id"] = self.public_body.id
        return values

    def _story(self, day, start, hours):
        """What happens to a booking: no-show, lateness, kilometres, energy, damage."""
        rng = self.rng
        end = start + timedelta(hours=hours)
        late = rng.random() < 0.04
        story = {
            "cancel": rng.random() < 0.02,
            "no_show": rng.random() < 0.02,
            "pickup": start + timedelta(minutes=rng.randrange(-5, 12)),
            "return": min(
                end + timedelta(minutes=rng.randrange(35, 95) if late else rng.randrange(-40, 12)),
                local(day, 23, 40),
            ),
            "late": late,
            "km": round(rng.uniform(8, 22) * hours),
            "energy": rng.randrange(70, 101),
            "damage": rng.random() < 0.012,
        }
        story["skip"] = story["cancel"] or story["no_show"]
        return story

    def _book(self, plan):
        """Make and confirm tomorrow's bookings, the day before, as the drivers do."""
        Booking = self.env["carshare.booking"]
        for index, (values, story) in enumerate(plan):
            try:
                with self.env.cr.savepoint():
                    booking = Booking.create(values)
                    booking.action_confirm()
            except ValidationError as refusal:
                # Taken by a late return or a maintenance: the driver books elsewhere.
                _logger.info("booking refused: %s", refusal)
                plan[index] = (Booking, {**story, "skip": True})
                continue
            plan[index] = (booking, story)
            self.stats["bookings"] += 1
            self.stats["pro" if values["usage"] == "pro" else "resident"] += 1
            if story["cancel"]:
                booking.action_cancel()
                self.stats["cancelled"] += 1
            elif story["no_show"]:
                self.stats["no_show"] += 1

    def _upcoming(self):
        """The coming week's bookings, made now: the planning goes on past today."""
        for offset in range(UPCOMING_DAYS):
            self._book(self._plan(self.until + timedelta(days=offset)))
            self.commit()

    def _return(self, booking, story):
        vehicle_km = booking.odometer_start + story["km"]
        energy = max(story["energy"] - round(story["km"] * 0.2), 5)
        # its billing job waits in the queue for the day's other returns (_bill_returns)
        booking.with_context(queue_job__no_delay=False).action_return(
            odometer=vehicle_km, energy=energy
        )
        self.stats["late"] += bool(booking.late_minutes)
        if story["damage"]:
            self._damage(booking)

    def _bill_returns(self):
        """The day's queued billing jobs of the returns done as one: the personal invoices made
        in batches, as the month-end makes them, rather than one by one."""
        jobs = self.env["queue.job"].search(
            [
                ("state", "=", "pending"),
                ("model_name", "=", "carshare.booking"),
                ("method_name", "=", "_carshare_job_bill_ended"),
            ],
            order="id",
        )
        bookings = self.env["carshare.booking"].union(*jobs.mapped("records"))
        bookings.with_env(self.env)._carshare_job_bill_ended()
        jobs.unlink()

    def _damage(self, booking):
        """The driver reported a damage with a photo at the return; the manager holds the driver
        responsible."""
        description, location, severity = self.rng.choice(DAMAGES)
        checkin = booking.inspection_ids.filtered(lambda i: i.kind == "checkin")[:1]
        self.env["carshare.damage"].create(
            {
                "inspection_id": checkin.id,
                "description": description,
                "location": location,
                "severity": severity,
                "responsible": self.rng.random() < 0.7,
                "photo": damage_photo(self.rng, description),
            }
        )
        self.stats["damages"] += 1

    # -- month-end, quarter, neighbours ----------------------------------------------------------

    def _month_start(self, day):
        """The first of the month: the billing of the month ended, its direct debits, the
        quarter's statement, the neighbours' settlement."""
        self._at(local(day, 2))
        with self._fake_chorus_pro():
            self.env["sale.order"]._cron_carshare_month_end()
        self._at(local(day, 3))
        orders = self.env["account.payment.order"].search(
            [
                ("state", "=", "draft"),
                ("payment_mode_id", "=", self.sepa_employer.customer_payment_mode_id.id),
            ]
        )
        for order in orders:
            order.journal_id = order.journal_id or self._bank_journal()
            order.draft2open()
            order.open2generated()
            order.generated2uploaded()
        self.env["carshare.reversal.rule"]._cron_create_statements()
        statements = self.env["carshare.reversal.statement"].search(
            [("community_id", "=", self.community.id), ("state", "=", "draft")]
        )
        statements.filtered("revenue_line_ids").action_confirm()
        self._neighbours_settle(day - relativedelta(months=1), day - timedelta(days=1))

    def _neighbours_community(self):
        return self.env.ref("carshare_fleet.community_pilat_neighbours", raise_if_not_found=False)

    def _neighbours_trip(self, day):
        """A neighbour's trip in the logbook, before the demo's own (they start last month)."""
        community, first = self._neighbours_community(), self.logbook_from
        Trip = self.env["carshare.neighbours.trip"]
        if not community or (first and first.date <= day):
            return
        previous = Trip.search(
            [("community_id", "=", community.id), ("date", "<=", day)],
            order="date desc, odometer_start desc",
            limit=1,
        )
        start = previous.odometer_end if previous else max(first.odometer_start - 3000, 0)
        km = self.rng.randrange(15, 90)
        if first and start + km > first.odometer_start:
            return
        members = community.membership_ids.filtered(lambda m: m.state == "active").partner_id
        driver = self.rng.choice(members)
        Trip.create(
            {
                "community_id": community.id,
                "partner_id": driver.id,
                "date": day,
                "odometer_start": start,
                "odometer_end": start + km,
                "note": self.rng.choice(PURPOSES),
            }
        )
        if self.rng.random() < 0.3:
            self.env["carshare.neighbours.expense"].create(
                {
                    "community_id": community.id,
                    "partner_id": driver.id,
                    "cost_type_id": self.env.ref("carshare_neighbours.cost_type_fuel").id,
                    "date": day,
                    "amount": round(self.rng.uniform(35, 65), 2),
                    "name": "Plein de carburant",
                }
            )

    def _neighbours_settle(self, date_from, date_to):
        community = self._neighbours_community()
        Settlement = self.env["carshare.neighbours.settlement"]
        if not community or Settlement.search_count(
            [("community_id", "=", community.id), ("date_from", "=", date_from)]
        ):
            return
        settlement = Settlement.create(
            {"community_id": community.id, "date_from": date_from, "date_to": date_to}
        )
        settlement.action_compute()
        if settlement.line_ids:
            settlement.action_done()
