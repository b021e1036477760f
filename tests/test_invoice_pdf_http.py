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


@pytest.fixture
def employer_invoice(odoo):
    """An employer's posted invoice of a community of a company on the French chart: 2 h at
    1.25 HT under the service tax due on payment (2.50 HT, 0.50 VAT, 3.00 TTC)."""
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
    tax = odoo.execute(
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
    employer = odoo.execute(
        "res.partner",
        "create",
        {"name": "Transports Normands", "is_company": True, "country_id": _ref(odoo, "base.fr")},
    )
    move = odoo.execute(
        "account.move",
        "create",
        {
            "move_type": "out_invoice",
            "company_id": company,
            "partner_id": employer,
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
                        "tax_ids": [(6, 0, tax)],
                    },
                )
            ],
        },
        context=context,
    )
    odoo.execute("account.move", "action_post", [move], context=context)
    yield move, company
    # The posted invoice stays, as posted invoices do; its community is archived.
    odoo.execute("carshare.community", "write", [community], {"active": False}, context=context)


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="the set-up installs poppler-utils")
def test_the_accountant_downloads_the_invoice_with_its_legal_mentions(odoo, employer_invoice):
    move, company = employer_invoice
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
