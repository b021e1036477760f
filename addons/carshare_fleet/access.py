"""Who may call what: the checks every carshare addon runs at the top of its public methods.

Every public method of a model is reachable over JSON-RPC by any logged-in user, whatever the
views show: the method itself refuses the callers without the right (docs/security.md).
"""

from contextlib import contextmanager
from contextvars import ContextVar

from odoo.exceptions import AccessError

USER_GROUP = "carshare_fleet.group_carshare_user"
MANAGER_GROUP = "carshare_fleet.group_carshare_manager"
ACCOUNTANT_GROUP = "carshare_billing.group_carshare_accountant"

# (model, field) pairs an action of the model is writing right now. A context variable, not a
# context key: the client sends the context of its calls, it cannot reach this.
_ACTION_FIELDS = ContextVar("carshare_action_fields", default=frozenset())


def check_groups(env, *groups, message=None):
    """Refuse the call unless the user belongs to one of ``groups`` (XML ids), with
    ``message`` (translated) or one naming the groups; server code in superuser mode (crons,
    the portal's controllers after their own checks) passes."""
    if env.su or any(env.user.has_group(group) for group in groups):
        return
    if not message:
        names = [env.ref(group, raise_if_not_found=False) for group in groups]
        message = env._(
            "You are not allowed to do this: it is reserved to %(groups)s.",
            groups=env._(" or ").join(group.sudo().full_name for group in names if group),
        )
    raise AccessError(message)


def check_view(records, *groups):
    """Backend navigation (``action_view_*``): internal carsharing users (or ``groups``) who
    may read the records."""
    check_groups(records.env, *(groups or (USER_GROUP,)))
    records.check_access("read")


@contextmanager
def action_writing(records, *fnames):
    """Let the action running in this block write ``fnames`` of ``records``' model."""
    token = _ACTION_FIELDS.set(_ACTION_FIELDS.get() | {(records._name, f) for f in fnames})
    try:
        yield
    finally:
        _ACTION_FIELDS.reset(token)


def action_write(records, vals):
    """Write ``vals``, fields owned by the model's actions included: for the actions only."""
    with action_writing(records, *vals):
        return records.write(vals)


def check_action_fields(records, vals, fnames, create=False):
    """Refuse a write (or a create, ``create=True``, where a field's default value is allowed)
    of any of ``fnames``, the fields the model's actions own, outside those actions."""
    if records.env.su:
        return
    unlocked = _ACTION_FIELDS.get()
    locked = [
        fname
        for fname in fnames
        if fname in vals
        and (records._name, fname) not in unlocked
        and not (create and _is_default(records, fname, vals[fname]))
    ]
    if locked:
        env = records.env
        raise AccessError(
            env._(
                "%(fields)s of %(model)s change only through its actions (the buttons), "
                "not by writing them.",
                fields=", ".join(records._fields[f]._description_string(env) for f in locked),
                model=env["ir.model"]._get(records._name).sudo().name,
            )
        )


def _is_default(records, fname, value):
    field = records._fields[fname]
    default = field.default(records) if field.default else False
    return (value or False) == (default or False)
