"""EN 16931 business rules on the totals and VAT of a Factur-X (CII) XML, read back from the XML
itself: the ``factur-x`` library's schematron check needs a Saxon server and passes silently
without one."""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

RAM = "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"
CENT = Decimal("0.01")


def _amount(node, path):
    text = node.findtext(path)
    return Decimal(text) if text not in (None, "") else Decimal(0)


def _round(value):
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def en16931_errors(xml):
    """The rules BR-CO-10 to BR-CO-16 and BR-S-08/09 (BR-E-08/09 for exempt lines) that the
    XML breaks, each as a message; empty when it complies."""
    tree = etree.fromstring(xml)
    settlement = tree.find(f".//{RAM}ApplicableHeaderTradeSettlement")
    totals = settlement.find(f"{RAM}SpecifiedTradeSettlementHeaderMonetarySummation")
    errors = []

    def check(rule, actual, expected):
        if actual != expected:
            errors.append(f"{rule}: {actual} != {expected}")

    lines = tree.findall(f".//{RAM}IncludedSupplyChainTradeLineItem")
    line_net = defaultdict(Decimal)
    for line in lines:
        line_settlement = line.find(f"{RAM}SpecifiedLineTradeSettlement")
        tax = line_settlement.find(f"{RAM}ApplicableTradeTax")
        key = (
            tax.findtext(f"{RAM}CategoryCode"),
            Decimal(tax.findtext(f"{RAM}RateApplicablePercent")),
        )
        line_net[key] += _amount(
            line_settlement,
            f"{RAM}SpecifiedTradeSettlementLineMonetarySummation/{RAM}LineTotalAmount",
        )
    allowances = charges = Decimal(0)
    for allowance in settlement.findall(f"{RAM}SpecifiedTradeAllowanceCharge"):
        indicator = allowance.findtext(f"{RAM}ChargeIndicator/{{*}}Indicator")
        amount = _amount(allowance, f"{RAM}ActualAmount")
        if indicator == "true":
            charges += amount
        else:
            allowances += amount

    line_total = _amount(totals, f"{RAM}LineTotalAmount")
    check("BR-CO-10 sum of line net amounts", line_total, sum(line_net.values(), Decimal(0)))
    check("BR-CO-11 sum of allowances", _amount(totals, f"{RAM}AllowanceTotalAmount"), allowances)
    check("BR-CO-12 sum of charges", _amount(totals, f"{RAM}ChargeTotalAmount"), charges)
    tax_basis = _amount(totals, f"{RAM}TaxBasisTotalAmount")
    check("BR-CO-13 total without VAT", tax_basis, line_total - allowances + charges)
    breakdown = settlement.findall(f"{RAM}ApplicableTradeTax")
    tax_total = _amount(totals, f"{RAM}TaxTotalAmount")
    check(
        "BR-CO-14 total VAT",
        tax_total,
        sum((_amount(tax, f"{RAM}CalculatedAmount") for tax in breakdown), Decimal(0)),
    )
    grand_total = _amount(totals, f"{RAM}GrandTotalAmount")
    check("BR-CO-15 total with VAT", grand_total, tax_basis + tax_total)
    check(
        "BR-CO-16 amount due",
        _amount(totals, f"{RAM}DuePayableAmount"),
        grand_total
        - _amount(totals, f"{RAM}TotalPrepaidAmount")
        + _amount(totals, f"{RAM}RoundingAmount"),
    )
    for tax in breakdown:
        category = tax.findtext(f"{RAM}CategoryCode")
        rate = Decimal(tax.findtext(f"{RAM}RateApplicablePercent") or 0)
        basis = _amount(tax, f"{RAM}BasisAmount")
        rule = {"S": "BR-S", "E": "BR-E"}.get(category, f"BR-{category}")
        check(f"{rule}-08 taxable amount at {rate} %", basis, line_net[(category, rate)])
        expected_tax = _round(basis * rate / 100) if category == "S" else Decimal(0)
        calculated = _amount(tax, f"{RAM}CalculatedAmount")
        # The official schematron accepts a rounding difference (of up to 1.00) here; a cent is
        # what tax-included prices need when their base falls on a half cent.
        if abs(calculated - expected_tax) > CENT:
            check(f"{rule}-09 VAT at {rate} %", calculated, expected_tax)
    return errors
