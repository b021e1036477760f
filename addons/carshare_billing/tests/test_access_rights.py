"""Regressions of issue 13: the manager's billing and damage decisions refused to the others."""

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import FRIDAY_9H, CarshareBillingCase


@tagged("post_install", "-at_install")
class TestAccessRights(CarshareBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = {"company_id": cls.company.id, "company_ids": cls.company.ids}
        cls.agent = new_test_user(
            cls.env, "cs_rights_agent", groups="carshare_fleet.group_carshare_user", **company
        )
        cls.fleet_manager = new_test_user(
            cls.env, "cs_rights_manager", groups="carshare_fleet.group_carshare_manager", **company
        )
        cls.alice_user = new_test_user(
            cls.env, "cs_rights_alice", groups="base.group_portal", partner_id=cls.alice.id
        )
        cls.community.billing_requires_validation = True

    def _checkin_damage(self, booking):
        """A responsible damage added by a manager to the validated check-in of ``booking``:
        the driver's 1,080.00 excess is invoiced."""
        checkin = booking.inspection_ids.filtered(lambda i: i.kind == "checkin")
        return self.env["carshare.damage"].create(
            {"inspection_id": checkin.id, "description": "Dented door", "responsible": True}
        )

    # -- defects 1 and 2: validating and repricing the billing ----------------------------------

    def test_only_managers_validate_the_billing(self):
        """Returned, the booking waits for the manager (to add a penalty): neither the driver
        nor a desk agent confirms its billing."""
        booking = self._trip(FRIDAY_9H, 2)
        self.assertEqual(booking.billing_state, "to_validate")
        for user in (self.alice_user, self.agent):
            with self.assertRaises(AccessError):
                booking.with_user(user).action_validate_billing()
        self.assertEqual(booking.billing_state, "to_validate")
        booking.with_user(self.fleet_manager).action_validate_billing()
        self.assertEqual(booking.billing_state, "invoiced")

    def test_only_managers_reprice_the_billing(self):
        """The manager's price of 2.50 (instead of 3.00 for 2 h) stays: nobody else puts the
        tariff back, and the refusal names no booking."""
        booking = self._trip(FRIDAY_9H, 2)
        other = self._trip(FRIDAY_9H.replace(day=17), 2, driver=self.bob)
        line = self._lines(other, "time")
        line.price_unit = 1.25
        for user, target in (
            (self.alice_user, other),
            (self.alice_user, booking),
            (self.agent, other),
        ):
            with self.assertRaises(AccessError) as refusal:
                target.with_user(user).action_reprice_billing()
            self.assertNotIn(other.name, str(refusal.exception))
            self.assertNotIn(booking.name, str(refusal.exception))
        self.assertAlmostEqual(line.price_unit, 1.25)
        other.with_user(self.fleet_manager).action_reprice_billing()
        self.assertAlmostEqual(self._lines(other, "time").price_unit, 1.5)

    # -- defect 3: reopening a check-in, clearing or deleting its damage -----------------------

    def test_agent_cannot_reopen_a_checkin_nor_delete_its_damage(self):
        booking = self._trip(FRIDAY_9H, 2)
        damage = self._checkin_damage(booking)
        invoice = damage.carshare_excess_move_id
        self.assertEqual(invoice.state, "posted")
        self.assertAlmostEqual(invoice.amount_total, 1080.0)
        checkin = damage.inspection_id
        with self.assertRaises(AccessError):
            checkin.with_user(self.agent).action_draft()
        with self.assertRaises(AccessError):
            checkin.with_user(self.agent).action_done()
        with self.assertRaises(AccessError):
            checkin.with_user(self.agent).write({"state": "draft"})
        self.assertEqual(checkin.state, "done")
        with self.assertRaises(AccessError):
            damage.with_user(self.agent).responsible = False
        with self.assertRaises(AccessError):
            damage.with_user(self.agent).unlink()
        with self.assertRaises(AccessError):
            self.env["carshare.damage"].with_user(self.agent).create(
                {"inspection_id": checkin.id, "description": "Flat tyre"}
            )
        with self.assertRaises(AccessError):
            checkin.with_user(self.agent).odometer = 0.0
        self.assertTrue(damage.exists())
        self.assertEqual(damage.carshare_excess_move_id, invoice)
        self.assertEqual(invoice.payment_state, "not_paid")
        # Remarks are still the agent's to add.
        checkin.with_user(self.agent).remarks = "Door dented on the driver's side."

    def test_manager_deleting_a_responsible_damage_credits_its_excess(self):
        """No excess invoice stays posted without its damage: the 1,080.00 is credited."""
        booking = self._trip(FRIDAY_9H, 2)
        damage = self._checkin_damage(booking)
        invoice = damage.carshare_excess_move_id
        damage.with_user(self.fleet_manager).unlink()
        credit_note = invoice.reversal_move_ids
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertAlmostEqual(credit_note.amount_total, 1080.0)
        self.assertEqual(invoice.payment_state, "reversed")

    def test_manager_reopens_the_checkin_then_clears_the_damage(self):
        booking = self._trip(FRIDAY_9H, 2)
        damage = self._checkin_damage(booking)
        invoice = damage.carshare_excess_move_id
        checkin = damage.inspection_id.with_user(self.fleet_manager)
        checkin.action_draft()
        damage.with_user(self.fleet_manager).responsible = False
        self.assertEqual(invoice.payment_state, "reversed")
        checkin.action_done()
        self.assertEqual(checkin.state, "done")

    # -- defect 8: the state only through the actions -------------------------------------------

    def test_agent_cannot_cancel_a_started_booking_by_writing_its_state(self):
        """Refused by ``action_cancel``, refused by a write: the trip is billed as a trip."""
        booking = self._book(FRIDAY_9H, 2)
        with freeze_time(FRIDAY_9H):
            booking.action_start()
            agent_booking = booking.with_user(self.agent)
            with self.assertRaises(AccessError):
                agent_booking.action_cancel()
            for values in (
                {"state": "cancelled"},
                {"state": "done", "odometer_end": 1.0},
                {"date_cancelled": FRIDAY_9H},
                {"access_code": "0000"},
            ):
                with self.assertRaises(AccessError):
                    agent_booking.with_context(carshare_action=True, active_test=False).write(
                        values
                    )
        self.assertEqual(booking.state, "ongoing")
        self.assertFalse(booking.date_cancelled)

    def test_nobody_creates_a_booking_in_a_later_state(self):
        values = {
            "community_id": self.community.id,
            "vehicle_id": self.vehicle.id,
            "partner_id": self.alice.id,
            "date_start": FRIDAY_9H,
            "date_end": FRIDAY_9H.replace(hour=10),
        }
        for state in ("confirmed", "ongoing", "done"):
            with self.assertRaises(AccessError):
                self.env["carshare.booking"].with_user(self.fleet_manager).create(
                    {**values, "state": state}
                )
        draft = (
            self.env["carshare.booking"].with_user(self.agent).create({**values, "state": "draft"})
        )
        self.assertEqual(draft.state, "draft")

    def test_agent_cannot_correct_a_finished_booking(self):
        """The distance of a finished trip is its price: a manager corrects it and reprices."""
        booking = self._trip(FRIDAY_9H, 2, km=40.0)
        with self.assertRaises(AccessError):
            booking.with_user(self.agent).odometer_end = booking.odometer_start
        with self.assertRaises(AccessError):
            booking.with_user(self.agent).partner_id = self.bob
        self.assertEqual(booking.distance_km, 40.0)
        booking.with_user(self.fleet_manager).odometer_end = booking.odometer_start + 30.0
        self.assertEqual(booking.distance_km, 30.0)

    def test_only_managers_decide_a_claims_responsibility(self):
        """Two responsible claims in a year exclude a driver: a desk agent records a claim but
        does not hold the driver responsible, nor clears it."""
        Claim = self.env["carshare.claim"].with_user(self.agent)
        with self.assertRaises(AccessError):
            Claim.create({"partner_id": self.alice.id, "responsible": True})
        claim = Claim.create({"partner_id": self.alice.id, "description": "Broken mirror"})
        with self.assertRaises(AccessError):
            claim.responsible = True
        claim.with_user(self.fleet_manager).responsible = True
        with self.assertRaises(AccessError):
            claim.date = "2020-01-01"
        with self.assertRaises(AccessError):
            claim.responsible = False
        self.assertTrue(claim.responsible)
