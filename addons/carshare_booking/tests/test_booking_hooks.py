import ast
import inspect
import textwrap
from contextlib import ExitStack
from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import freeze_time, tagged

from ..models.carshare_booking import CarshareBooking
from .common import BookingCase

# (previous state, new state): the one transition making it, the one hook it calls.
TRANSITIONS = {
    ("draft", "confirmed"): ("action_confirm", "_on_booking_confirmed"),
    ("confirmed", "ongoing"): ("action_start", "_on_booking_started"),
    ("ongoing", "done"): ("action_return", "_on_booking_returned"),
    ("draft", "cancelled"): ("action_cancel", "_on_booking_cancelled"),
    ("confirmed", "cancelled"): ("action_cancel", "_on_booking_cancelled"),
    ("ongoing", "cancelled"): ("action_cancel", "_on_booking_cancelled"),
    ("confirmed", "no_show"): ("_action_no_show", "_on_booking_no_show"),
}
HOOKS = sorted({hook for _method, hook in TRANSITIONS.values()} | {"_on_booking_closed"})


def _state_writers(cls):
    """The methods of ``cls`` whose code holds a ``{"state": ...}`` dict (what they write)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError):
        return set()
    writers = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Dict) and any(
                    isinstance(key, ast.Constant) and key.value == "state" for key in sub.keys
                ):
                    writers.add(node.name)
    return writers


@tagged("post_install", "-at_install")
class TestBookingHooks(BookingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.car.odometer = 1000
        cls.Booking = cls.env["carshare.booking"]

    def _count_hooks(self, run, *unpatched):
        """Run ``run()`` with every hook but ``unpatched`` replaced by a mock; the mocks."""
        with ExitStack() as stack:
            mocks = {
                hook: stack.enter_context(patch.object(type(self.Booking), hook, autospec=True))
                for hook in HOOKS
                if hook not in unpatched
            }
            run()
        return mocks

    def assertHookOnce(self, mocks, hook, booking, *args):
        for name, mock in mocks.items():
            self.assertEqual(mock.call_count, int(name == hook), f"{name} calls")
        (records, *rest), _kwargs = mocks[hook].call_args
        self.assertEqual(records, booking)
        self.assertEqual(rest, list(args))

    def _ongoing(self):
        booking = self.confirmed_booking()
        with freeze_time(self.at(1, 50)):
            booking.action_start()
        return booking

    def test_every_state_has_its_transition(self):
        states = {value for value, _label in self.Booking._fields["state"].selection}
        reached = {new for _previous, new in TRANSITIONS}
        self.assertEqual(reached, states - {"draft"})
        methods = {method for method, _hook in TRANSITIONS.values()}
        for hook in HOOKS:
            self.assertTrue(getattr(CarshareBooking, hook).__doc__, f"{hook} is documented")
        # Every method writing the state, in carshare_booking and in the installed extensions,
        # is one of the transitions.
        for cls in type(self.Booking).__mro__:
            if cls.__module__.startswith("odoo.addons.carshare_"):
                self.assertLessEqual(_state_writers(cls), methods, cls.__module__)

    def test_state_written_only_by_transitions(self):
        booking = self.make_booking()
        for user in (self.desk_user, self.manager):
            with self.assertRaises(AccessError):
                booking.with_user(user).write({"state": "confirmed"})
            with self.assertRaises(AccessError):
                booking.with_user(user).write({"date_cancelled": self.at(0)})
        self.assertEqual(booking.state, "draft")

    def test_confirm_calls_its_hook(self):
        booking = self.make_booking()
        mocks = self._count_hooks(booking.action_confirm)
        self.assertEqual(booking.state, "confirmed")
        self.assertHookOnce(mocks, "_on_booking_confirmed", booking)

    def test_start_calls_its_hook(self):
        booking = self.confirmed_booking()
        with freeze_time(self.at(1, 50)):
            mocks = self._count_hooks(booking.action_start)
        self.assertEqual(booking.state, "ongoing")
        self.assertHookOnce(mocks, "_on_booking_started", booking)

    def test_return_calls_its_hook(self):
        booking = self._ongoing()
        with freeze_time(self.at(4, 10)):
            mocks = self._count_hooks(lambda: booking.action_return(odometer=1042, energy=55))
        self.assertEqual(booking.state, "done")
        self.assertHookOnce(mocks, "_on_booking_returned", booking)

    def test_cancel_calls_its_hook(self):
        for booking in (self.make_booking(), self.confirmed_booking(self.at(6)), self._ongoing()):
            previous = booking.state
            mocks = self._count_hooks(booking.with_user(self.manager).action_cancel)
            self.assertEqual(booking.state, "cancelled")
            self.assertHookOnce(mocks, "_on_booking_cancelled", booking, previous)

    def test_no_show_calls_its_hook(self):
        booking = self.confirmed_booking()
        with freeze_time(self.at(3)):
            mocks = self._count_hooks(booking._action_no_show)
        self.assertEqual(booking.state, "no_show")
        self.assertHookOnce(mocks, "_on_booking_no_show", booking)

    def test_endings_call_closed_once(self):
        unpatched = ("_on_booking_returned", "_on_booking_cancelled", "_on_booking_no_show")
        returned = self._ongoing()
        with freeze_time(self.at(4, 10)):
            mocks = self._count_hooks(
                lambda: returned.action_return(odometer=1042, energy=55), *unpatched
            )
        self.assertHookOnce(mocks, "_on_booking_closed", returned, "ongoing")
        cancelled = self.confirmed_booking(self.at(6))
        mocks = self._count_hooks(cancelled.action_cancel, *unpatched)
        self.assertHookOnce(mocks, "_on_booking_closed", cancelled, "confirmed")
        missed = self.confirmed_booking(self.at(8))
        with freeze_time(self.at(9)):
            mocks = self._count_hooks(missed._action_no_show, *unpatched)
        self.assertHookOnce(mocks, "_on_booking_closed", missed, "confirmed")

    def test_cancellation_date_is_the_booking_own(self):
        """carshare_booking sets the cancellation date: a booking has it without the billing."""
        field = self.env["ir.model.fields"]._get("carshare.booking", "date_cancelled")
        self.assertIn("carshare_booking", field.modules.split(", "))
        self.assertNotIn("carshare_billing", field.modules.split(", "))
        booking = self.confirmed_booking()
        with freeze_time(self.at(0, 30)):
            booking.with_user(self.desk_user).action_cancel()
        self.assertEqual(booking.state, "cancelled")
        self.assertEqual(booking.date_cancelled, self.at(0, 30))
        self.assertFalse(self.make_booking(self.at(6)).date_cancelled)
