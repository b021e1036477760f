"""The access matrix: every public method and every protected field of the carshare models, as
each role reaches them over JSON-RPC, against the decisions of ``access_matrix.py``.

The methods are found by introspection (what the carshare addons define or override), so a new
public method fails here until it has an entry: see ``access_matrix.py`` to add one. Set
``CARSHARE_ACCESS_MATRIX_DUMP=1`` to log the observed matrix in the entries' form.
"""

import inspect
import logging
import os
from datetime import timedelta

from odoo import api, fields
from odoo.exceptions import AccessError
from odoo.service.model import get_public_method
from odoo.tests import new_test_user, tagged

from odoo.addons.carshare_portal_billing.tests.common import CarsharePortalBillingCase

from .access_matrix import FIELD_ROLES, FIELDS, METHODS, ORM_METHODS, ROLES, SENSITIVE_FIELDS

_logger = logging.getLogger(__name__)

CARSHARE_MODULES = "odoo.addons.carshare_"


def carshare_public_methods(env):
    """{(model, method)}: the RPC-reachable methods that a carshare addon defines or overrides."""
    found = set()
    for model_name, model_class in env.registry.items():
        for klass in model_class.mro():
            if not klass.__module__.startswith(CARSHARE_MODULES):
                continue
            for name, member in vars(klass).items():
                if name.startswith("_") or not callable(member):
                    continue
                try:
                    get_public_method(env[model_name], name)
                except AccessError:
                    continue  # @api.private
                found.add((model_name, name))
    return found


def carshare_protected_fields(registry):
    """{(model, field)}: the fields of the carshare addons behind ``groups``, and the identity
    and secret fields wherever they are."""
    found = set()
    for model_name, model_class in registry.items():
        for fname, field in model_class._fields.items():
            module = getattr(field, "_module", None) or ""
            if field.groups and module.startswith("carshare_"):
                found.add((model_name, fname))
    return found | {key for key in SENSITIVE_FIELDS if key[0] in registry}


@tagged("post_install", "-at_install")
class TestAccessMatrix(CarsharePortalBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice.partner_id.parent_id = cls.employer  # the employer's contact sees its staff
        cls.outsider = new_test_user(cls.env, "cs_matrix_outsider", groups="base.group_portal")
        cls.agent = new_test_user(
            cls.env, "cs_matrix_agent", groups="carshare_fleet.group_carshare_user"
        )
        cls.billing_accountant = new_test_user(
            cls.env, "cs_matrix_accountant", groups="carshare_billing.group_carshare_accountant"
        )
        cls.employee = new_test_user(cls.env, "cs_matrix_employee", groups="base.group_user")
        cls.users = {
            "resident": cls.alice,
            "outsider": cls.outsider,
            "agent": cls.agent,
            "accountant": cls.billing_accountant,
            "employee": cls.employee,
            "manager": cls.manager,
            "employer": cls.accountant,
        }
        start = fields.Datetime.now().replace(second=0, microsecond=0) + timedelta(days=3)
        cls.booking_bob = cls._confirmed(cls.car, start, driver=cls.bob)
        for booking in (cls.booking_later, cls.booking_bob):
            cls.env["carshare.inspection"].create(
                {
                    "kind": "checkout",
                    "booking_id": booking.id,
                    "vehicle_id": booking.vehicle_id.id,
                    "partner_id": booking.partner_id.id,
                    "damage_ids": [(0, 0, {"description": "Scratch on the door"})],
                }
            )
        cls.env["carshare.deposit"].create(
            [
                {
                    "booking_id": booking.id,
                    "partner_id": booking.partner_id.id,
                    "company_id": booking.company_id.id,
                    "currency_id": booking.company_id.currency_id.id,
                    "amount": 150.0,
                }
                for booking in (cls.booking_later, cls.booking_bob)
            ]
        )
        cls.env["ir.attachment"].create(
            [
                {"name": "scan", "raw": b"licence", "res_model": "res.partner", "res_id": p.id}
                for p in (cls.alice.partner_id, cls.bob.partner_id)
            ]
        )

    def _targets(self, model_name):
        """{"own": ids, "other": ids} of records for ``model_name``: the resident's and someone
        else's when the model has a driver, else any record for both."""
        Model = self.env[model_name].sudo().with_context(active_test=False)
        alice = self.alice.partner_id
        if Model._transient:
            return {"own": []}
        if model_name == "res.partner":
            return {"own": alice.ids, "other": self.bob.partner_id.ids}
        fixtures = {
            "fleet.vehicle": self.car,
            "carshare.station": self.station,
            "carshare.community": self.community,
            "carshare.tariff": self.community.tariff_id,
        }
        if model_name in fixtures:
            return {"own": fixtures[model_name].ids}
        partner_field = Model._fields.get("partner_id")
        if partner_field and partner_field.comodel_name == "res.partner" and partner_field.store:
            own = Model.search([("partner_id", "=", alice.id)], limit=1)
            other = Model.search([("partner_id", "not in", [alice.id, False])], limit=1)
            return {"own": own.ids, "other": other.ids}
        return {"own": Model.search([], limit=1).ids}

    def _env(self, role):
        return api.Environment(self.env.cr, self.users[role].id, {})

    def _call(self, role, model_name, method, ids):
        """True when ``role`` gets past the rights of ``model_name.method`` on ``ids``, called
        as JSON-RPC does (execute_kw: the public-method rules, then call_kw), rolled back."""
        records = self._env(role)[model_name]
        if method in ORM_METHODS:
            return records.browse(ids).has_access(ORM_METHODS[method])
        savepoint = self.env.cr.savepoint()
        try:
            function = get_public_method(records, method)
            args = [] if getattr(function, "_api", None) == "model" else [ids]
            api.call_kw(records, method, args + self._placeholders(function), {})
        except AccessError:
            return False
        except Exception:
            return True
        finally:
            savepoint.close()  # rolled back
            self.env.invalidate_all(flush=False)
        return True

    @staticmethod
    def _placeholders(function):
        """None for each required argument: the rights are checked before the arguments."""
        parameters = list(inspect.signature(function).parameters.values())[1:]
        return [
            None
            for p in parameters
            if p.default is inspect.Parameter.empty
            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]

    def _read(self, role, model_name, fname, ids):
        savepoint = self.env.cr.savepoint()
        try:
            api.call_kw(self._env(role)[model_name], "read", [ids, [fname]], {})
        except AccessError:
            return False
        finally:
            savepoint.close()
            self.env.invalidate_all(flush=False)
        return True

    def _check(self, observed, decisions, what):
        dump = os.environ.get("CARSHARE_ACCESS_MATRIX_DUMP")
        if dump:
            for key in sorted(observed):
                _logger.info("    %r: %r,", key, observed[key])
        missing = sorted(set(observed) - set(decisions))
        self.assertFalse(
            missing, f"{what} without a decision in access_matrix.py (add an entry): {missing}"
        )
        wrong = {
            key: {"decided": sorted(decisions[key]), "observed": sorted(observed[key])}
            for key in observed
            if set(observed[key]) != set(decisions[key])
        }
        self.assertFalse(wrong, f"{what} whose rights differ from access_matrix.py: {wrong}")

    def _observe(self, keys, probe, roles=ROLES):
        observed = {}
        for model_name, name in sorted(keys):
            targets = self._targets(model_name)
            allowed = set()
            for role in roles:
                results = {
                    target: probe(role, model_name, name, ids) for target, ids in targets.items()
                }
                if all(results.values()):
                    allowed.add(role)
                elif results.get("own"):
                    allowed.add(f"{role}:own")
            observed[(model_name, name)] = frozenset(allowed)
        return observed

    def test_every_public_method(self):
        methods = carshare_public_methods(self.env)
        self.assertIn(("carshare.booking", "action_validate_billing"), methods)
        self.assertNotIn(("chorus.flow", "syntax_odoo2chorus"), methods)
        self._check(self._observe(methods, self._call), METHODS, "Public methods")

    def test_every_protected_field(self):
        protected = carshare_protected_fields(self.env.registry)
        self.assertIn(("res.partner", "carshare_birthdate"), protected)
        self._check(self._observe(protected, self._read, FIELD_ROLES), FIELDS, "Protected fields")

    def test_every_allowed_entry_still_exists(self):
        """An entry of a method or field that is gone is removed, so that the list stays true."""
        methods = carshare_public_methods(self.env)
        stale = [key for key in METHODS if key[0] in self.env.registry and key not in methods]
        self.assertFalse(stale, f"access_matrix.py lists methods that are gone: {stale}")
        protected = carshare_protected_fields(self.env.registry)
        stale = [key for key in FIELDS if key[0] in self.env.registry and key not in protected]
        self.assertFalse(stale, f"access_matrix.py lists fields that are gone: {stale}")
