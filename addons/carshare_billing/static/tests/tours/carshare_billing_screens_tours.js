/** @odoo-module **/

import { registry } from "@web/core/registry";
import { screenshot } from "@carshare_fleet/../tests/tours/screenshot";

function openBillingMenu(item) {
    return [
        {
            trigger: ".o_menu_sections button[data-menu-xmlid='carshare_billing.menu_carshare_billing']",
            run: "click",
        },
        { trigger: `.o-dropdown-item[data-menu-xmlid='${item}']`, run: "click" },
        {
            content: "The list of the menu, once the form before it is gone",
            trigger: ".o_action_manager:not(:has(.o_form_view)) .o_list_view .o_data_row",
        },
    ];
}

registry.category("web_tour.tours").add("carshare_screens_accountant", {
    steps: () => [
        { content: "The invoices per community", trigger: ".o_list_view .o_group_header", run: "click" },
        { trigger: ".o_list_view .o_data_row:eq(1)" },
        screenshot("accountant-invoices"),
        { trigger: ".o_list_view .o_data_row .o_data_cell", run: "click" },
        { trigger: ".o_form_view .o_field_widget[name=invoice_line_ids] .o_data_row" },
        screenshot("accountant-invoice"),
        ...openBillingMenu("carshare_billing.menu_carshare_payment_orders"),
        { trigger: ".o_list_view .o_data_row .o_data_cell", run: "click" },
        {
            content: "The SEPA order holds Acme's month-end invoice",
            trigger: ".o_form_view .o_field_widget[name=payment_line_ids] .o_data_row",
        },
        screenshot("accountant-payment-order"),
    ],
});
