from odoo.tests import new_test_user, tagged

from .common import CarsharePortalCase


@tagged("post_install", "-at_install")
class TestPortalTours(CarsharePortalCase):
    """The driver's journeys in a real browser."""

    def test_signup(self):
        newcomer = new_test_user(
            self.env, "newcomer", groups="base.group_portal", name="Nina Newcomer"
        )
        self.start_tour("/my", "carshare_portal_signup", login="newcomer")
        membership = newcomer.partner_id.carshare_membership_ids
        self.assertEqual(membership.community_id, self.community)
        self.assertEqual(membership.state, "requested")
        partner = newcomer.partner_id
        self.assertEqual(partner.driving_licence_number, "12AB34567")
        self.assertEqual(partner.city, "Alençon")
        self.assertTrue(partner.driving_licence_scan)
        self.assertTrue(partner.proof_of_address)

    def test_search_and_book(self):
        booking = self.book_the_free_car_in_tour("carshare_portal_booking")
        self.assertEqual(len(booking), 1)
        self.assertEqual(booking.usage, "perso")

    def test_cancel(self):
        self.start_tour(self.booking_later.access_url, "carshare_portal_cancel", login="alice")
        self.assertEqual(self.booking_later.state, "cancelled")

    def test_checkin_report(self):
        self.start_tour(self.booking_driving.access_url, "carshare_portal_checkin", login="alice")
        report = self.booking_driving.inspection_ids
        self.assertEqual(report.kind, "checkin")
        self.assertEqual(report.odometer, 1042)
        self.assertEqual(len(report.photo_ids), 1)
        self.assertEqual(report.photo_ids.mimetype, "image/png")
        self.assertEqual(report.damage_ids.description, "Dent on the rear bumper")
        self.assertTrue(report.damage_ids.photo)
