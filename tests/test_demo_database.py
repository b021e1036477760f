"""The database as scripts/run and scripts/test create it, read over JSON-RPC: a French
département's, in French, with Odoo's demo card provider, and devices in every equipped vehicle."""

import lxml.html
import requests
from stdnum.fr import siret, tva


def _ref(odoo, xmlid):
    module, name = xmlid.split(".")
    return odoo.execute("ir.model.data", "check_object_reference", module, name)[1]


def test_the_company_is_the_orne_departement_on_the_french_chart(odoo):
    company = odoo.execute(
        "res.company",
        "read",
        [_ref(odoo, "base.main_company")],
        ["name", "country_code", "currency_id", "chart_template", "siret", "vat", "city", "logo"],
    )[0]
    assert company["name"] == "Conseil départemental de l'Orne"
    assert company["city"] == "Alençon"
    assert company["country_code"] == "FR"
    assert company["currency_id"][1] == "EUR"
    assert company["chart_template"] == "fr"
    assert company["siret"] == "22610001400019" and siret.is_valid(company["siret"])
    assert company["vat"] == "FR06226100014" and tva.is_valid(company["vat"])
    assert company["vat"][4:] == company["siret"][:9]
    assert company["logo"]
    # The French chart's taxes: 20 % on services, none of the generic chart's 15 %.
    sale_taxes = odoo.execute(
        "account.tax",
        "search_read",
        [("company_id", "=", company["id"]), ("type_tax_use", "=", "sale")],
        ["amount"],
    )
    rates = {tax["amount"] for tax in sale_taxes}
    assert 20.0 in rates and 15.0 not in rates


def test_french_installed_with_english_and_the_portal_speaks_it(odoo):
    """French and English are installed; the resident who chose French (scripts/run creates
    the demo's users in French) gets her portal in French."""
    languages = odoo.execute("res.lang", "search_read", [], ["code"])
    assert {"fr_FR", "en_US"} <= {lang["code"] for lang in languages}
    resident = _ref(odoo, "carshare_portal.user_resident_marie_dubois")
    chosen = odoo.execute("res.users", "read", [resident], ["lang"])[0]["lang"]
    odoo.execute("res.users", "write", [resident], {"lang": "fr_FR"})
    try:
        session = requests.Session()
        login = session.post(
            f"{odoo.url}/web/session/authenticate",
            json={
                "params": {"db": odoo.db, "login": "resident@example.com", "password": "resident"}
            },
            timeout=60,
        )
        assert login.json()["result"]["uid"] == resident
        page = session.get(f"{odoo.url}/my", timeout=60)
        assert page.status_code == 200
        text = " ".join(lxml.html.fromstring(page.content).text_content().split())
        for french in ("Déconnexion", "Trouver un véhicule", "Mes réservations"):
            assert french in text
    finally:
        odoo.execute("res.users", "write", [resident], {"lang": chosen})


def test_demo_employers_chorus_pro_and_sepa_mandate(odoo):
    public_body = odoo.execute(
        "res.partner",
        "read",
        [_ref(odoo, "carshare_fleet.partner_cu_alencon")],
        ["invoice_sending_method", "fr_chorus_required", "carshare_purchase_order_ref", "siret"],
    )[0]
    assert public_body["invoice_sending_method"] == "fr_chorus"
    assert public_body["fr_chorus_required"] == "service_and_engagement"
    assert public_body["carshare_purchase_order_ref"]
    assert siret.is_valid(public_body["siret"])
    services = odoo.execute(
        "chorus.partner.service", "search_read", [("partner_id", "=", public_body["id"])], ["code"]
    )
    assert [service["code"] for service in services] == ["SVC-MOBILITE"]
    mandate = odoo.execute(
        "account.banking.mandate",
        "read",
        [_ref(odoo, "carshare_billing_sepa.mandate_bocage_logistique")],
        ["state", "partner_id", "scheme"],
    )[0]
    assert mandate["state"] == "valid"
    assert mandate["scheme"] == "B2B"
    assert mandate["partner_id"][0] == _ref(odoo, "carshare_fleet.partner_bocage_logistique")


def test_the_demo_card_provider_is_in_its_test_state(odoo):
    provider = odoo.execute(
        "payment.provider", "read", [_ref(odoo, "payment.payment_provider_demo")], ["state"]
    )[0]
    assert provider["state"] == "test"


def test_every_equipped_vehicle_has_its_devices(odoo):
    vehicles = odoo.execute(
        "fleet.vehicle",
        "search_read",
        [("carshare_shared", "=", True)],
        [
            "license_plate",
            "carshare_has_immobiliser",
            "carshare_has_telematics",
            "carshare_station_id",
            "carshare_keybox_slot",
        ],
    )
    devices = odoo.execute(
        "carshare.iot.device", "search_read", [], ["kind", "vehicle_id", "station_id"]
    )
    kinds = {}
    for device in devices:
        if device["vehicle_id"]:
            kinds.setdefault(device["vehicle_id"][0], set()).add(device["kind"])
    keybox_stations = {d["station_id"][0] for d in devices if d["kind"] == "keybox"}
    equipped = [
        v for v in vehicles if v["carshare_has_immobiliser"] or v["carshare_has_telematics"]
    ]
    assert equipped
    for vehicle in vehicles:
        expected = {
            kind
            for kind, flagged in (
                ("immobiliser", vehicle["carshare_has_immobiliser"]),
                ("telematics", vehicle["carshare_has_telematics"]),
            )
            if flagged
        }
        assert kinds.get(vehicle["id"], set()) == expected, vehicle["license_plate"]
        if vehicle["carshare_keybox_slot"]:
            assert vehicle["carshare_station_id"][0] in keybox_stations, vehicle["license_plate"]
