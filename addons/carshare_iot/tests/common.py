from odoo.addons.carshare_booking.tests.common import BookingCase

from ..iotlib import protocol


class IotCase(BookingCase):
    """The booking test fixtures, with a key box at the station and devices in the car."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Demo bookings may have left commands in the outbox: not these tests' business.
        cls.env["carshare.iot.command"].search([("state", "in", ("pending", "sent"))]).write(
            {"state": "superseded"}
        )
        cls.car.write({"carshare_keybox_slot": "A1", "odometer": 1000})
        cls.car_2.carshare_keybox_slot = "A2"
        Device = cls.env["carshare.iot.device"]
        cls.keybox = Device.create(
            {
                "name": "Key box",
                "identifier": "test-keybox",
                "kind": "keybox",
                "station_id": cls.station.id,
            }
        )
        cls.immobiliser = Device.create(
            {
                "name": "Immobiliser",
                "identifier": "test-immo",
                "kind": "immobiliser",
                "vehicle_id": cls.car.id,
            }
        )
        cls.telematics = Device.create(
            {
                "name": "Telematics",
                "identifier": "test-tele",
                "kind": "telematics",
                "vehicle_id": cls.car.id,
            }
        )
        cls.other_keybox = Device.create(
            {
                "name": "Other key box",
                "identifier": "test-keybox-2",
                "kind": "keybox",
                "station_id": cls.other_station.id,
            }
        )
        cls.agent.carshare_badge_uid = "04A224B1"

    def commands(self, booking=None, **domain):
        search = [(key, "=", value) for key, value in domain.items()]
        if booking:
            search.append(("booking_id", "=", booking.id))
        return self.env["carshare.iot.command"].search(search, order="id")

    def receive(self, device, message_type, data, secret=None, **message):
        """Feed the bridge's entry point one signed device message; returns (log, message)."""
        signed = protocol.sign(
            protocol.device_message(device.identifier, message_type, data, **message),
            secret or device.secret,
        )
        return self.receive_raw(device, message_type, protocol.encode(signed)), signed

    def receive_raw(self, device, message_type, payload):
        topic = protocol.topic(device.identifier, protocol.channel_of(message_type))
        return self.env["carshare.iot.message"]._receive(topic, payload)
