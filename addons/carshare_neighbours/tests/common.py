from contextlib import contextmanager
from datetime import date

from odoo import Command
from odoo.tests import TransactionCase

PERIOD_START = date(2030, 1, 1)
PERIOD_END = date(2030, 12, 31)


class NeighboursCase(TransactionCase):
    """A neighbours' community sharing one car, with helpers to log trips and expenses."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.community = cls.env["carshare.community"].create(
            {"name": "Neighbours Test", "kind": "neighbours"}
        )
        brand = cls.env["fleet.vehicle.model.brand"].create({"name": "Peugeot Test"})
        model = cls.env["fleet.vehicle.model"].create(
            {"name": "208 Test", "brand_id": brand.id, "default_fuel_type": "gasoline"}
        )
        cls.car = cls.env["fleet.vehicle"].create(
            {
                "model_id": model.id,
                "license_plate": "NB-001-AA",
                "seats": 5,
                "carshare_shared": True,
                "carshare_community_ids": [Command.link(cls.community.id)],
            }
        )
        cls.odometer = 10000.0

    @classmethod
    def cost_type(cls, code):
        return cls.env.ref(f"carshare_neighbours.cost_type_{code}")

    @classmethod
    def member(cls, name, community=None):
        partner = cls.env["res.partner"].create({"name": name})
        cls.env["carshare.membership"].create(
            {
                "community_id": (community or cls.community).id,
                "partner_id": partner.id,
                "state": "active",
            }
        )
        return partner

    @classmethod
    def set_owners(cls, *owner_shares):
        """``set_owners((partner, 60.0), (partner_2, 40.0))``"""
        cls.community.neighbours_owner_ids = [Command.clear()] + [
            Command.create({"partner_id": partner.id, "share": share})
            for partner, share in owner_shares
        ]

    @classmethod
    def drive(cls, partner, km, when=PERIOD_START):
        """A trip of ``km`` logged right after the previous one."""
        start = cls.odometer
        cls.odometer += km
        return cls.env["carshare.neighbours.trip"].create(
            {
                "community_id": cls.community.id,
                "vehicle_id": cls.car.id,
                "partner_id": partner.id,
                "date": when,
                "odometer_start": start,
                "odometer_end": cls.odometer,
            }
        )

    @classmethod
    def pay(cls, partner, code, amount, when=PERIOD_START):
        return cls.env["carshare.neighbours.expense"].create(
            {
                "community_id": cls.community.id,
                "partner_id": partner.id,
                "cost_type_id": cls.cost_type(code).id,
                "amount": amount,
                "date": when,
            }
        )

    @classmethod
    def settle(cls, date_from=PERIOD_START, date_to=PERIOD_END):
        settlement = cls.env["carshare.neighbours.settlement"].create(
            {"community_id": cls.community.id, "date_from": date_from, "date_to": date_to}
        )
        settlement.action_compute()
        return settlement

    @contextmanager
    def assertRefused(self, exception, pattern):
        """``assertRaises`` (which rolls back to a savepoint) that also checks the message."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertRegex(str(caught.exception), pattern)

    def line(self, settlement, partner):
        return settlement.line_ids.filtered(lambda line: line.partner_id == partner)

    def assertLine(self, settlement, partner, **expected):
        line = self.line(settlement, partner)
        self.assertEqual(len(line), 1, f"one line for {partner.name}")
        for name, value in expected.items():
            self.assertAlmostEqual(line[name], value, places=2, msg=f"{partner.name}: {name}")

    def assertTransfers(self, settlement, expected):
        """``expected``: (debtor, creditor, amount) triples, in any order."""
        self.assertEqual(
            sorted(
                (t.debtor_id.name, t.creditor_id.name, round(t.amount, 2))
                for t in settlement.transfer_ids
            ),
            sorted((debtor.name, creditor.name, amount) for debtor, creditor, amount in expected),
        )

    def assertBalanced(self, settlement):
        self.assertAlmostEqual(sum(settlement.line_ids.mapped("balance")), 0.0, places=2)
