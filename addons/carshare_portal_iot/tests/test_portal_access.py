from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.carshare_portal.tests.common import CarsharePortalCase


@tagged("post_install", "-at_install")
class TestPortalAccessIot(CarsharePortalCase):
    """The unlock button of the booking's page."""

    @mute_logger("odoo.http")
    def test_other_driver_gets_not_found(self):
        self.login(self.bob)
        url = f"/my/carshare/bookings/{self.booking_later.id}/unlock"
        token = self.csrf_token("/my/carshare/bookings")
        self.assertEqual(self.url_open(url, data={"csrf_token": token}).status_code, 404)

    def test_no_unlock_without_a_box(self):
        self.assertFalse(self.booking_driving._carshare_portal_can_unlock())

    def test_unlock_where_the_vehicle_has_a_box(self):
        self.login(self.alice)
        url = self.booking_driving.access_url
        self.assertNotIn("o_carshare_unlock", self.url_open(url).text)
        box = self.env["carshare.iot.device"].create(
            {
                "name": "Box",
                "identifier": "portal-test-box",
                "kind": "telematics",
                "vehicle_id": self.car_driven.id,
            }
        )
        self.assertIn("o_carshare_unlock", self.url_open(url).text)
        response = self.url_open(f"{url}/unlock", data={"csrf_token": self.csrf_token(url)})
        self.assertIn("The vehicle is being unlocked", response.text)
        unlock = self.env["carshare.iot.command"].search(
            [("booking_id", "=", self.booking_driving.id), ("command_type", "=", "unlock")]
        )
        self.assertEqual(unlock.device_id, box)
        self.assertEqual(unlock.state, "pending")
