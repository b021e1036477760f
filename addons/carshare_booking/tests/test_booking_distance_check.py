from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, tagged

from ..models.carshare_booking import device_event
from .common import BookingCase


@tagged("post_install", "-at_install")
class TestBookingDistanceCheck(BookingCase):
    """An impossible distance at return is held for a manager, whoever returns the car."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.car.odometer = 1000

    def picked_up(self, hours=2):
        booking = self.confirmed_booking()
        with freeze_time(self.at(hours)):
            booking.action_start()
        return booking

    def assertHeld(self, booking, reason):
        self.assertEqual(booking.distance_check, "held")
        self.assertIn(reason, booking.distance_check_reason)
        activity = booking.activity_ids.filtered(
            lambda a: a.activity_type_id
            == self.env.ref("carshare_booking.mail_activity_type_distance_check")
        )
        self.assertEqual(activity.user_id, self.manager, "the community's responsible checks it")

    def test_plausible_trip_is_not_held(self):
        booking = self.picked_up()
        with freeze_time(self.at(4)):
            # 250 km in two hours: 125 km/h, under the default 150 km/h.
            booking.action_return(odometer=1250)
        self.assertRecordValues(
            booking, [{"state": "done", "distance_km": 250, "distance_check": False}]
        )
        self.assertFalse(booking.activity_ids)

    def test_average_speed_above_the_bound_is_held(self):
        booking = self.picked_up()
        with freeze_time(self.at(2, 30)):
            # The case: 512 km in 30 minutes.
            booking.action_return(odometer=1512)
        self.assertRecordValues(booking, [{"state": "done", "distance_km": 512}])
        self.assertHeld(booking, "512 km in 00:30 is faster than 150 km/h")

    def test_the_bound_is_the_communitys(self):
        self.community.max_average_speed_kmh = 100
        booking = self.picked_up()
        with freeze_time(self.at(4)):
            booking.action_return(odometer=1250)
        self.assertHeld(booking, "faster than 100 km/h")
        for wrong in (0, -5, 1001):
            with self.assertRaisesRegex(ValidationError, "between 0 and 1,000 km/h"):
                self.community.max_average_speed_kmh = wrong

    def test_odometer_backwards_is_held_not_refused(self):
        """A device's reading behind the pick-up cannot be corrected by the device: held. Typed
        by a person, it is refused, to be typed again."""
        booking = self.picked_up()
        with freeze_time(self.at(4)):
            with self.assertRaisesRegex(ValidationError, "cannot be lower than at pick-up"):
                booking.action_return(odometer=990)
            self.assertEqual(booking.state, "ongoing")
            with device_event(self.at(4)):
                booking.action_return(odometer=990)
        self.assertRecordValues(
            booking,
            [{"state": "done", "odometer_start": 1000, "odometer_end": 1000, "distance_km": 0}],
        )
        self.assertHeld(booking, "(990 km) is lower than at pick-up (1000 km)")
        self.assertEqual(self.car.odometer, 1000, "a reading behind never reaches the vehicle")

    def test_manager_corrects_and_validates(self):
        booking = self.picked_up()
        with freeze_time(self.at(2, 30)):
            booking.action_return(odometer=1512)
        with self.assertRaisesRegex(AccessError, "Only carsharing managers"):
            booking.with_user(self.desk_user).action_validate_distance()
        self.assertEqual(booking.distance_check, "held")
        booking.odometer_end = 1051
        booking.with_user(self.manager).action_validate_distance()
        self.assertRecordValues(booking, [{"distance_check": "validated", "distance_km": 51}])
        self.assertFalse(booking.activity_ids, "the manager's activity is done")
        with self.assertRaisesRegex(UserError, "not waiting for a validation"):
            booking.with_user(self.manager).action_validate_distance()

    def test_validation_refuses_an_odometer_still_backwards(self):
        booking = self.picked_up()
        with freeze_time(self.at(4)), device_event(self.at(4)):
            booking.action_return(odometer=990)
        booking.odometer_end = 995
        with self.assertRaisesRegex(ValidationError, "lower than at pick-up"):
            booking.with_user(self.manager).action_validate_distance()
        self.assertEqual(booking.distance_check, "held")

    def test_client_context_does_not_date_a_return(self):
        """A desk agent's RPC context cannot backdate a return: only a device's event does."""
        booking = self.picked_up()
        with freeze_time(self.at(9)):
            booking.with_context(carshare_event_time=self.at(4)).action_return(odometer=1200)
        self.assertEqual(booking.date_return, self.at(9))

    def test_event_time_dates_a_late_told_return(self):
        """A device's buffered return is dated by its event: not late, speed on real times."""
        booking = self.picked_up()
        with freeze_time(self.at(9)), device_event(self.at(4)):
            booking.action_return(odometer=1200)
        self.assertRecordValues(
            booking,
            [{"date_return": self.at(4), "late_minutes": 0, "distance_check": False}],
        )
