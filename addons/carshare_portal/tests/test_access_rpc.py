"""Regressions of issue 13 from the outside: JSON-RPC and /web/content as each user sends them."""

import json

from odoo.tests import new_test_user, tagged

from .common import PASSWORD, CarsharePortalCase, png_bytes

ACCESS_ERROR = "odoo.exceptions.AccessError"


class AccessRpcCase(CarsharePortalCase):
    """Users of every kind, who call the models over JSON-RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = new_test_user(
            cls.env,
            "cs_rpc_agent",
            groups="carshare_fleet.group_carshare_user",
            password=PASSWORD,
        )
        cls.employee = new_test_user(
            cls.env, "cs_rpc_employee", groups="base.group_user", password=PASSWORD
        )
        cls.manager.password = PASSWORD
        cls.alice.partner_id.write(
            {
                "parent_id": cls.employer.id,
                "driving_licence_scan": cls.b64(png_bytes()),
                "driving_licence_scan_filename": "licence.png",
            }
        )

    def call_kw(self, model, method, args, kwargs=None):
        """The JSON-RPC answer of ``model.method(*args, **kwargs)`` for the logged-in user."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        }
        response = self.url_open(
            "/web/dataset/call_kw",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        return response.json()

    def assertRefused(self, answer):
        self.assertIn("error", answer, answer)
        self.assertEqual(answer["error"]["data"]["name"], ACCESS_ERROR, answer)
        return answer["error"]["data"]["message"]


@tagged("post_install", "-at_install")
class TestAccessRpc(AccessRpcCase):
    def test_identity_data_only_for_managers_and_the_driver(self):
        """Defect 4: neither an employee, a desk agent nor the employer's contact reads the
        driver's identity; the manager does, and the driver sees it on their own page."""
        partner = self.alice.partner_id
        for user in (self.employee, self.agent, self.accountant):
            self.login(user)
            for fname in ("carshare_birthdate", "driving_licence_number", "proof_of_address"):
                self.assertRefused(self.call_kw("res.partner", "read", [partner.ids, [fname]]))
            response = self.url_open(f"/web/content/res.partner/{partner.id}/driving_licence_scan")
            self.assertNotEqual(response.status_code, 200)
            self.assertNotIn(b"PNG", response.content)
        self.login(self.agent)
        answer = self.call_kw("res.partner", "read", [partner.ids, ["carshare_eligible"]])
        self.assertTrue(answer["result"][0]["carshare_eligible"], answer)
        self.login(self.manager)
        answer = self.call_kw("res.partner", "read", [partner.ids, ["driving_licence_number"]])
        self.assertEqual(answer["result"][0]["driving_licence_number"], "LIC-alice")
        response = self.url_open(f"/web/content/res.partner/{partner.id}/driving_licence_scan")
        self.assertEqual(response.status_code, 200)
        self.login(self.alice)
        self.assertRefused(
            self.call_kw("res.partner", "read", [partner.ids, ["driving_licence_number"]])
        )
        response = self.url_open("/my/carshare/documents")
        self.assertEqual(response.status_code, 200)
        self.assertIn("LIC-alice", response.text)

    def test_state_written_only_by_the_actions(self):
        """Defect 8: a desk agent cancels a started booking by writing its state, with any
        context, and fails: the trip stays a trip."""
        booking = self.booking_driving
        self.login(self.agent)
        self.assertRefused(self.call_kw("carshare.booking", "action_cancel", [booking.ids]))
        for context in ({}, {"carshare_action": True, "carshare_action_fields": ["state"]}):
            self.assertRefused(
                self.call_kw(
                    "carshare.booking",
                    "write",
                    [booking.ids, {"state": "cancelled"}],
                    {"context": context},
                )
            )
        booking.invalidate_recordset()
        self.assertEqual(booking.state, "ongoing")
