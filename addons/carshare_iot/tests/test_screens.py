from odoo.tests import new_test_user, tagged

from odoo.addons.carshare_fleet.tests.screens import ScreensCase


@tagged("post_install", "-at_install")
class TestManagerScreens(ScreensCase):
    """A fleet manager walks through the planning, a booking, the occupancy and the devices
    of the demo community, without an error in the browser."""

    def test_manager_screens(self):
        new_test_user(
            self.env,
            "cs_screens_manager",
            groups="carshare_fleet.group_carshare_manager",
            name="Fleet Manager",
            lang=self.screens_lang(),
        )
        self.start_tour(
            "/odoo/action-carshare_booking.action_carshare_booking_planning",
            "carshare_screens_manager",
            login="cs_screens_manager",
        )
        self.assertScreenshots(
            "manager-planning", "manager-booking", "manager-occupancy", "manager-devices"
        )
