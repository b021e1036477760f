"""The booking engine as JSON-RPC clients see it, on a real server with two workers."""

import concurrent.futures
from datetime import datetime, timedelta

import pytest
from conftest import RpcError

AGENTS = ["partner_claire_lemoine", "partner_julien_bernard", "partner_nadia_benali"]
RACERS = 12


def _ref(odoo, xmlid):
    module, name = xmlid.split(".")
    return odoo.execute("ir.model.data", "check_object_reference", module, name)[1]


def _slot(days_ahead, hour_utc=9, hours=2):
    start = (datetime.utcnow() + timedelta(days=days_ahead)).replace(
        hour=hour_utc, minute=0, second=0, microsecond=0
    )
    while start.weekday() >= 5:  # a weekday, inside the agents' office hours
        start += timedelta(days=1)
    fmt = "%Y-%m-%d %H:%M:%S"
    return start.strftime(fmt), (start + timedelta(hours=hours)).strftime(fmt)


@pytest.fixture
def autofree(odoo):
    community = _ref(odoo, "carshare_fleet.community_autofree61")
    station = _ref(odoo, "carshare_fleet.station_alencon")
    agents = [_ref(odoo, f"carshare_fleet.{xmlid}") for xmlid in AGENTS]
    created = []
    yield community, station, agents, created
    if created:  # cancelled, they free the slot and stay on record like any cancelled booking
        odoo.execute("carshare.booking", "action_cancel", created)


def test_availability_over_rpc(odoo, autofree):
    community, station, _agents, _created = autofree
    start, end = _slot(40)
    rows = odoo.execute(
        "carshare.booking", "carshare_available_vehicles", start, end, station, community
    )
    assert rows, "the Alençon station has shared vehicles"
    assert {"vehicle_id", "free", "reason", "next_free"} <= set(rows[0])
    vehicles = odoo.execute(
        "fleet.vehicle",
        "search",
        [("carshare_station_id", "=", station), ("carshare_shared", "=", True)],
    )
    assert {row["vehicle_id"] for row in rows} == set(vehicles)
    assert all(row["reason"] for row in rows if not row["free"])


def test_concurrent_requests_for_one_slot_have_one_winner(odoo, autofree):
    """Many drivers confirm the same vehicle and slot at once: exactly one wins, the others get
    a clean refusal, never a server error."""
    community, station, agents, created = autofree
    start, end = _slot(45)
    rows = odoo.execute(
        "carshare.booking", "carshare_available_vehicles", start, end, station, community
    )
    vehicle = next(row["vehicle_id"] for row in rows if row["free"])
    for i in range(RACERS):
        created.append(
            odoo.execute(
                "carshare.booking",
                "create",
                {
                    "vehicle_id": vehicle,
                    "partner_id": agents[i % len(agents)],
                    "community_id": community,
                    "date_start": start,
                    "date_end": end,
                    "usage": "perso",
                },
            )
        )

    def confirm(booking_id):
        try:
            odoo.execute("carshare.booking", "action_confirm", [booking_id])
        except RpcError as error:
            return error.name, str(error)
        return None

    with concurrent.futures.ThreadPoolExecutor(max_workers=RACERS) as pool:
        answers = list(pool.map(confirm, created))

    assert answers.count(None) == 1, answers
    refusals = [a for a in answers if a is not None]
    assert {name for name, _message in refusals} == {"odoo.exceptions.ValidationError"}, refusals
    confirmed = odoo.execute(
        "carshare.booking", "search_count", [("id", "in", created), ("state", "=", "confirmed")]
    )
    assert confirmed == 1
    codes = odoo.execute(
        "carshare.booking", "search_read", [("id", "in", created)], fields=["state", "access_code"]
    )
    assert [c["access_code"] for c in codes if c["state"] == "confirmed"][0]
