from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemo(TransactionCase):
    """Issue 15, item 7: the demo data tells the truth about equipment and odometers."""

    def setUp(self):
        super().setUp()
        if not self.env.ref("carshare_iot.device_keybox_alencon", raise_if_not_found=False):
            self.skipTest("without demo data")

    def test_equipped_vehicles_have_their_devices(self):
        vehicles = self.env["fleet.vehicle"].search([("carshare_shared", "=", True)])
        for vehicle in vehicles:
            kinds = set(vehicle.carshare_iot_device_ids.mapped("kind"))
            self.assertEqual(vehicle.carshare_has_immobiliser, "immobiliser" in kinds, vehicle.name)
            self.assertEqual(vehicle.carshare_has_telematics, "telematics" in kinds, vehicle.name)

    def test_bookings_odometers_not_above_their_vehicles(self):
        bookings = self.env["carshare.booking"].search([("state", "in", ("ongoing", "done"))])
        self.assertTrue(bookings)
        for booking in bookings:
            reading = max(booking.odometer_start, booking.odometer_end)
            self.assertLessEqual(reading, booking.vehicle_id.odometer, booking.name)
