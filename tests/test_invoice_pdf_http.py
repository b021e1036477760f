"""A French invoice as the accountant downloads it from a real server: printed by the machine's
wkhtmltopdf (the set-up installs it), read back with pdftotext."""

import shutil
import subprocess
from datetime import date

import lxml.html
import pytest
import requests


def _ref(odoo, xmlid):
    module, name = xmlid.split(".")
    return odoo.execute("ir.model.data", "check_object_reference", module, name)[1]


def _pdf_text(pdf):
    result = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(result.stdout.decode().split())


def _wkhtmltopdf_version():
    return subprocess.run(
        ["wkhtmltopdf", "--version"], capture_output=True, text=True, check=True
    ).stdout


def _service_tax(odoo, company):
    return odoo.execute(
        "account.tax",
        "search",
        [
            ("company_id", "=", company),
            ("type_tax_use", "=", "sale"),
            ("amount", "=", 20),
            ("tax_scope", "=", "service"),
            ("tax_exigibility", "=", "on_payment"),
            ("price_include_override", "!=", "tax_included"),
        ],
        limit=1,
    )


def _post_invoice(odoo, company, community, partner):
    """2 h at 1.25 HT under the service tax due on payment (2.50 HT, 0.50 VAT, 3.00 TTC)."""
    context = {"allowed_company_ids": [company]}
    move = odoo.execute(
        "account.move",
        "create",
        {
            "move_type": "out_invoice",
            "company_id": company,
            "partner_id": partner,
            "carshare_community_id": community,
            "invoice_date": date.today().isoformat(),
            "invoice_line_ids": [
                (
                    0,
                    0,
                    {
                        "product_id": _ref(odoo, "carshare_billing.product_carshare_time"),
                        "quantity": 2,
                        "price_unit": 1.25,
                        "tax_ids": [(6, 0, _service_tax(odoo, company))],
                    },
                )
            ],
        },
        context=context,
    )
    odoo.execute("account.move", "action_post", [move], context=context)
    return move


@pytest.fixture
def employer_invoice(odoo):
    """An employer's posted invoice of a community of a company on the French chart."""
    companies = odoo.execute("res.company", "search", [("chart_template", "=", "fr")], limit=1)
    if not companies:
        pytest.skip("no company on the French chart in this database")
    company = companies[0]
    context = {"allowed_company_ids": [company]}
    community = odoo.execute(
        "carshare.community",
        "create",
        {"name": "Autopartage PDF", "company_id": company},
        context=context,
    )
    employer = odoo.execute(
        "res.partner",
        "create",
        {
            "name": "Transports Normands",
            "is_company": True,
            "country_id": _ref(odoo, "base.fr"),
            "lang": "en_US",
        },
    )
    yield _post_invoice(odoo, company, community, employer), company
    # The posted invoice stays, as posted invoices do; its community is archived.
    odoo.execute("carshare.community", "write", [community], {"active": False}, context=context)


def _printed_text(odoo, move, company):
    """The invoice's PDF as the accountant downloads it, as text."""
    session = requests.Session()
    login = session.post(
        f"{odoo.url}/web/session/authenticate",
        json={"params": {"db": odoo.db, "login": "admin", "password": "admin"}},
        timeout=60,
    )
    assert login.json()["result"]["uid"]
    session.cookies.set("cids", str(company))
    response = session.get(
        f"{odoo.url}/report/pdf/account.report_invoice_with_payments/{move}", timeout=300
    )
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    text = _pdf_text(response.content)
    if not text:
        # Debian's wkhtmltopdf (unpatched Qt) draws the styled report's glyphs as paths: the
        # PDF has no font and no text to read back (the official image's patched build has).
        # The same report's HTML then tells what the PDF shows.
        assert "patched qt" not in _wkhtmltopdf_version()
        html = session.get(
            f"{odoo.url}/report/html/account.report_invoice_with_payments/{move}", timeout=300
        )
        assert html.status_code == 200
        text = " ".join(lxml.html.fromstring(html.content).text_content().split())
    return text


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="the set-up installs poppler-utils")
def test_the_accountant_downloads_the_invoice_with_its_legal_mentions(odoo, employer_invoice):
    move, company = employer_invoice
    text = _printed_text(odoo, move, company)
    seller = odoo.execute("res.company", "read", [company], ["siret", "vat"])[0]
    assert f"SIRET {seller['siret']}" in text
    assert f"VAT number {seller['vat']}" in text
    for mention in (
        "Payment due on",
        "fixed indemnity of 40.00",
        "recovery costs",
        "Service Delivery",
        "Unit Price (excl. tax)",
        "1.25",
        "3.00",
    ):
        assert mention in text
    assert "Goods Delivery" not in text
    assert "Option to pay tax on debits" not in text


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="the set-up installs poppler-utils")
def test_the_demo_departement_prints_a_french_invoice_with_its_legal_mentions(odoo):
    """The demo company's invoice to an employer, Bocage Logistique, in French: the
    département's name, address, SIRET and VAT number, the French late-payment mentions."""
    company = _ref(odoo, "base.main_company")
    seller = odoo.execute("res.company", "read", [company], ["chart_template", "siret", "vat"])[0]
    if seller["chart_template"] != "fr":
        pytest.skip("the demo company is not on the French chart in this database")
    customer = _ref(odoo, "carshare_fleet.partner_bocage_logistique")
    odoo.execute("res.partner", "write", [customer], {"lang": "fr_FR"})
    community = _ref(odoo, "carshare_fleet.community_autofree61")
    text = _printed_text(odoo, _post_invoice(odoo, company, community, customer), company)
    assert "Conseil départemental de l'Orne" in text
    assert "27 boulevard de Strasbourg" in text and "61000 Alençon" in text
    assert f"SIRET {seller['siret']}" in text and seller["siret"] == "22610001400019"
    assert f"n° de TVA {seller['vat']}" in text and seller["vat"] == "FR06226100014"
    for mention in (
        "Facture",
        "Paiement dû le",
        "indemnité forfaitaire de 40,00 €",
        "frais de recouvrement",
        "Prestation de services",
        "1,25",
        "3,00 €",
    ):
        assert mention in text
