"""Who may call each public method and read each protected field of the carshare models.

THE ONE LIST of the rights decisions, checked by ``test_access_matrix.py`` against what each
role really gets over JSON-RPC. Roles (test users):

- ``resident``: a portal driver (an employee of Acme); ``resident:own`` means on their own
  records only (bookings, memberships, reports, deposits of their own, their partner);
- ``outsider``: a portal user who is no member;
- ``agent``: a desk agent (Carsharing / User);
- ``accountant``: Carsharing / Accountant;
- ``employee``: an internal user without carsharing rights;
- ``manager``: Carsharing / Manager;
- ``employer`` (fields only): the portal contact of the resident's employer, of which the
  resident is a child contact.

To add a public method (or a field with ``groups``): decide who may call it, enforce it at the
top of the method (``odoo.addons.carshare_fleet.access``), then add one line
``("model", "method"): {roles},`` below. A role not listed is refused with an AccessError; a role
listed gets past the rights (the method may still refuse for a business reason). The test fails
on a method without a line, on a role that gets more or less than its line says, and on a line
whose method is gone. docs/security.md explains the roles.
"""

ROLES = ("resident", "outsider", "agent", "accountant", "employee", "manager")
FIELD_ROLES = (*ROLES, "employer")

# The ORM methods a carshare addon overrides: checked with the ACL and record rules of the
# operation, not called.
ORM_METHODS = {"create": "create", "write": "write", "unlink": "unlink"}

# Identity and secret fields checked even when their ``groups`` come from elsewhere.
SENSITIVE_FIELDS = {
    ("res.partner", "carshare_birthdate"),
    ("res.partner", "driving_licence_number"),
    ("res.partner", "driving_licence_scan"),
    ("res.partner", "driving_licence_scan_filename"),
    ("res.partner", "proof_of_address"),
    ("res.partner", "proof_of_address_filename"),
    ("carshare.booking", "access_code"),
}

INTERNAL = frozenset({"agent", "accountant", "manager"})
BILLING = frozenset({"accountant", "manager"})
MANAGER = frozenset({"manager"})
ACCOUNTANT = frozenset({"accountant"})
NOBODY = frozenset()

METHODS = {
    # carshare_fleet
    ("carshare.claim", "create"): INTERNAL,  # responsible claims: managers (in the method)
    ("carshare.claim", "write"): INTERNAL,
    ("carshare.community", "action_view_memberships"): INTERNAL,
    ("carshare.damage", "action_open_claim"): MANAGER,
    ("carshare.damage", "create"): INTERNAL,
    ("carshare.damage", "unlink"): INTERNAL,  # refused on a validated report but to managers
    ("carshare.damage", "write"): INTERNAL,
    ("carshare.inspection", "action_done"): MANAGER,
    ("carshare.inspection", "action_draft"): MANAGER,
    ("carshare.inspection", "create"): INTERNAL,
    ("carshare.inspection", "write"): INTERNAL,
    ("carshare.membership", "action_activate"): MANAGER,
    ("carshare.membership", "action_suspend"): MANAGER,
    ("carshare.membership", "write"): MANAGER,
    ("carshare.membership.suspend.wizard", "action_confirm"): MANAGER,
    ("carshare.station", "action_view_vehicles"): INTERNAL,
    ("fleet.vehicle", "action_view_carshare_inspections"): INTERNAL,
    ("res.partner", "action_carshare_mark_verified"): MANAGER,
    ("res.partner", "action_view_carshare_claims"): INTERNAL,
    ("res.partner", "write"): MANAGER,
    # carshare_booking
    ("carshare.booking", "action_cancel"): INTERNAL,  # the driver cancels in the portal
    ("carshare.booking", "action_confirm"): INTERNAL,  # the driver books in the portal
    ("carshare.booking", "action_return"): INTERNAL,
    ("carshare.booking", "action_start"): INTERNAL,
    ("carshare.booking", "action_transfer"): MANAGER,
    ("carshare.booking", "action_validate_distance"): MANAGER,
    ("carshare.booking", "action_view_inspections"): INTERNAL,
    ("carshare.booking", "carshare_available_vehicles"): INTERNAL,
    ("carshare.booking", "create"): INTERNAL,
    ("carshare.booking", "write"): INTERNAL,  # the lifecycle's fields through the actions only
    ("carshare.community", "action_view_bookings"): INTERNAL,
    ("fleet.vehicle", "action_view_carshare_bookings"): INTERNAL,
    ("res.partner", "action_view_carshare_bookings"): INTERNAL,
    # carshare_billing
    ("carshare.billing.run", "action_print_statement"): ACCOUNTANT,
    ("carshare.billing.run", "action_run"): ACCOUNTANT,
    ("carshare.billing.run", "action_view_invoices"): ACCOUNTANT,
    ("account.payment.order", "draft2open"): ACCOUNTANT,
    # Odoo's chatter, with mail's own rights on the record: the override only lets the batched
    # invoicing log sale's "created from" notes at once (no role is refused before mail's check).
    ("account.move", "message_post_with_source"): frozenset(ROLES),
    ("carshare.booking", "action_carshare_bill_again"): BILLING,
    ("carshare.booking", "action_reprice_billing"): MANAGER,
    ("carshare.booking", "action_validate_billing"): MANAGER,
    ("carshare.booking", "action_view_carshare_deposits"): INTERNAL,
    ("carshare.booking", "action_view_carshare_invoices"): BILLING,
    ("carshare.booking", "action_view_sale_order"): BILLING,
    ("carshare.community", "action_open_tariff"): INTERNAL,
    ("carshare.deposit", "action_capture"): BILLING,
    ("carshare.deposit", "create"): NOBODY,  # the booking's flow, in superuser mode
    ("carshare.deposit", "write"): BILLING,  # the flow's fields refused in the method
    ("carshare.deposit", "action_place_hold"): MANAGER,
    ("carshare.deposit", "action_release"): MANAGER,
    ("carshare.deposit.capture.wizard", "action_capture"): BILLING,
    ("carshare.reversal.rule", "action_view_statements"): BILLING,
    ("carshare.reversal.statement", "action_compute"): ACCOUNTANT,
    ("carshare.reversal.statement", "action_confirm"): ACCOUNTANT,
    ("carshare.reversal.statement", "action_done"): ACCOUNTANT,
    ("carshare.reversal.statement", "action_view_moves"): BILLING,
    ("carshare.reversal.statement", "create"): ACCOUNTANT,
    ("carshare.reversal.statement", "write"): ACCOUNTANT,
    ("carshare.stripe.payout", "action_carshare_fetch"): ACCOUNTANT,
    ("carshare.stripe.payout", "action_reconcile"): ACCOUNTANT,
    ("carshare.tariff", "action_open_simulator"): INTERNAL,
    ("fleet.vehicle", "action_view_carshare_claims"): INTERNAL,
    ("fleet.vehicle", "action_view_carshare_insurance_contracts"): INTERNAL,
    ("fleet.vehicle", "action_view_carshare_insurance_lines"): INTERNAL,
    # carshare_gbfs
    ("carshare.community", "action_gbfs_open"): INTERNAL,  # the public feed's URL
    ("carshare.community", "action_gbfs_preview"): MANAGER,
    ("carshare.community", "action_gbfs_refresh"): MANAGER,
    ("carshare.community", "write"): MANAGER,
    # carshare_iot
    ("carshare.booking", "action_iot_unlock"): {"resident:own", "manager"},
    ("carshare.booking", "action_view_iot_commands"): INTERNAL,
    ("carshare.iot.broker.wizard", "action_generate"): MANAGER,
    ("carshare.iot.broker.wizard", "action_new_bridge_password"): MANAGER,
    ("carshare.iot.command", "action_cancel"): MANAGER,
    ("carshare.iot.command", "action_retry"): MANAGER,
    ("carshare.iot.command", "create"): NOBODY,  # the devices' own flow, in superuser mode
    ("carshare.iot.device", "action_arm"): MANAGER,
    ("carshare.iot.device", "action_disarm"): MANAGER,
    ("carshare.iot.device", "action_lock"): MANAGER,
    ("carshare.iot.device", "action_reset_mqtt_password"): MANAGER,
    ("carshare.iot.device", "action_resync"): MANAGER,
    ("carshare.iot.device", "action_rotate_secret"): MANAGER,
    ("carshare.iot.device", "action_unlock"): MANAGER,
    ("carshare.iot.device", "action_view_commands"): INTERNAL,
    ("carshare.iot.device", "action_view_messages"): MANAGER,
    ("carshare.iot.device", "create"): MANAGER,
    ("carshare.iot.device", "unlink"): MANAGER,
    ("carshare.iot.device", "write"): MANAGER,
    ("carshare.station", "action_view_iot_devices"): INTERNAL,
    ("fleet.vehicle", "action_view_carshare_iot_devices"): INTERNAL,
    # carshare_neighbours
    ("carshare.community", "action_view_neighbours_settlements"): INTERNAL,
    ("carshare.community", "action_view_neighbours_trips"): INTERNAL,
    ("carshare.neighbours.settlement", "action_compute"): MANAGER,
    ("carshare.neighbours.settlement", "action_done"): MANAGER,
    ("carshare.neighbours.settlement", "action_draft"): MANAGER,
    ("carshare.neighbours.settlement", "action_post_entries"): MANAGER,
    ("carshare.neighbours.settlement", "action_view_move"): MANAGER,
    ("carshare.neighbours.settlement", "create"): MANAGER,
    ("carshare.neighbours.settlement", "write"): MANAGER,
    ("carshare.neighbours.trip", "create"): INTERNAL,
}

# Read over RPC (``read``); the driver sees their own documents in the portal's pages, the
# employer's contact never sees its staff's.
IDENTITY = MANAGER
FIELDS = {
    ("carshare.booking", "access_code"): {"resident:own", *INTERNAL},
    ("carshare.booking", "carshare_invoice_count"): BILLING,
    ("carshare.booking", "carshare_invoice_ids"): BILLING,
    ("carshare.booking", "sale_order_id"): BILLING,
    ("carshare.damage", "carshare_excess_move_id"): BILLING,
    ("carshare.iot.device", "mqtt_password_hash"): MANAGER,
    ("carshare.iot.device", "secret"): MANAGER,
    ("fleet.vehicle", "carshare_buyback_revenue"): BILLING,
    ("fleet.vehicle", "carshare_excess_invoiced"): BILLING,
    ("fleet.vehicle", "carshare_insurance_premiums"): BILLING,
    ("fleet.vehicle", "carshare_gbfs_rotation"): MANAGER,
    ("res.partner", "carshare_badge_uid"): INTERNAL,
    ("res.partner", "carshare_birthdate"): IDENTITY,
    ("res.partner", "driving_licence_number"): IDENTITY,
    ("res.partner", "driving_licence_scan"): IDENTITY,
    ("res.partner", "driving_licence_scan_filename"): IDENTITY,
    ("res.partner", "proof_of_address"): IDENTITY,
    ("res.partner", "proof_of_address_filename"): IDENTITY,
}
