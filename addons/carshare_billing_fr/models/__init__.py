from . import (
    account_chart_template,
    account_edi_xml_cii,
    account_move,
    account_payment_method,
    account_tax,
    chorus_flow,
    res_company,
    res_partner,
    sale_order,
)
