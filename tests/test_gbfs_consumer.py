"""The open data feeds as a route planner reads them: from gbfs.json over HTTP, every URL."""

import json
import os
from collections import Counter
from urllib.parse import urlsplit

import jsonschema
import pytest
import requests
from conftest import ROOT

SCHEMAS = os.path.join(ROOT, "addons", "carshare_gbfs", "tests", "gbfs_schemas")
SYSTEM_ID = "autofree61"


def validate(version, feed, document):
    with open(os.path.join(SCHEMAS, f"v{version}", f"{feed}.json")) as schema_file:
        schema = json.load(schema_file)
    checker = jsonschema.Draft7Validator.FORMAT_CHECKER
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in jsonschema.Draft7Validator(schema, format_checker=checker).iter_errors(document)
    ]
    assert not errors, f"{version} {feed}.json:\n" + "\n".join(errors)


def local(odoo, url):
    """The feeds name the public address (web.base.url): ask the test server instead."""
    return odoo.url + urlsplit(url).path


def read_system(odoo, discovery_path, version):
    response = requests.get(odoo.url + discovery_path, timeout=60)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    discovery = response.json()
    validate(version, "gbfs", discovery)
    files = {}
    for feed in discovery["data"]["feeds"]:
        answer = requests.get(local(odoo, feed["url"]), timeout=60)
        assert answer.status_code == 200, feed["url"]
        assert answer.headers["Content-Type"].startswith("application/json")
        document = answer.json()
        validate(version, feed["name"], document)
        assert document["version"] == version
        files[feed["name"]] = document
    return files


@pytest.fixture(scope="module")
def published(odoo):
    communities = odoo.execute(
        "carshare.community",
        "search_read",
        [("gbfs_system_id", "=", SYSTEM_ID), ("gbfs_enabled", "=", True)],
        fields=["id", "station_ids"],
    )
    if not communities:
        pytest.skip("the demo community is not published (demo data not installed)")
    return communities[0]


def test_consumer_reads_every_file_and_counts_agree(odoo, published):
    files = read_system(odoo, f"/gbfs/{SYSTEM_ID}/gbfs.json", "3.0")
    assert "vehicle_availability" not in files
    stations = odoo.execute(
        "carshare.station",
        "search_read",
        [("id", "in", published["station_ids"])],
        fields=["id", "latitude", "longitude"],
    )
    located = {str(s["id"]) for s in stations if s["latitude"] or s["longitude"]}
    info = files["station_information"]["data"]["stations"]
    status = {s["station_id"]: s for s in files["station_status"]["data"]["stations"]}
    assert {s["station_id"] for s in info} == located == set(status)
    vehicles = odoo.execute(
        "fleet.vehicle",
        "search_read",
        [
            ("carshare_shared", "=", True),
            ("carshare_community_ids", "in", published["id"]),
            ("carshare_station_id", "in", [int(s) for s in located]),
        ],
        fields=["carshare_station_id", "carshare_state"],
    )
    per_station = Counter(str(v["carshare_station_id"][0]) for v in vehicles)
    assert {s["station_id"]: s["capacity"] for s in info} == {s: per_station[s] for s in located}
    listed = files["vehicle_status"]["data"]["vehicles"]
    in_rental = sum(1 for v in vehicles if v["carshare_state"] == "in_use")
    assert len(listed) == len(vehicles) - in_rental
    free = Counter(v["station_id"] for v in listed if "available_until" in v)
    disabled = Counter(v["station_id"] for v in listed if v["is_disabled"])
    for station_id, station in status.items():
        assert station["num_vehicles_available"] == free[station_id], station_id
        assert station["num_vehicles_disabled"] == disabled[station_id], station_id
        by_type = sum(t["count"] for t in station["vehicle_types_available"])
        assert by_type == station["num_vehicles_available"]
    types = {t["vehicle_type_id"] for t in files["vehicle_types"]["data"]["vehicle_types"]}
    assert {v["vehicle_type_id"] for v in listed} <= types


def test_31_set_adds_vehicle_availability_with_the_same_ids(odoo, published):
    files = read_system(odoo, f"/gbfs/{SYSTEM_ID}/3.1-RC3/gbfs.json", "3.1-RC3")
    availability = files["vehicle_availability"]["data"]["vehicles"]
    listed = {v["vehicle_id"] for v in files["vehicle_status"]["data"]["vehicles"]}
    assert listed <= {v["vehicle_id"] for v in availability}
    for vehicle in availability:
        slots = vehicle["availabilities"]
        assert all(a["from"] < a["until"] for a in slots)
        assert all(a["until"] <= b["from"] for a, b in zip(slots, slots[1:], strict=False))
    versions = files["gbfs_versions"]["data"]["versions"]
    assert [v["version"] for v in versions] == ["3.0", "3.1-RC3"]


def test_manifest_validators_and_read_only(odoo, published):
    manifest = requests.get(f"{odoo.url}/gbfs/manifest.json", timeout=60).json()
    validate("3.0", "manifest", manifest)
    assert SYSTEM_ID in [d["system_id"] for d in manifest["data"]["datasets"]]
    url = f"{odoo.url}/gbfs/{SYSTEM_ID}/station_status.json"
    first = requests.get(url, timeout=60)
    again = requests.get(url, headers={"If-None-Match": first.headers["ETag"]}, timeout=60)
    assert again.status_code == 304 and not again.content
    assert requests.head(url, timeout=60).status_code == 200
    assert requests.post(url, timeout=60).status_code == 405
    assert requests.get(f"{odoo.url}/gbfs/unknown/gbfs.json", timeout=60).status_code == 404
    assert "session_id" not in first.cookies
