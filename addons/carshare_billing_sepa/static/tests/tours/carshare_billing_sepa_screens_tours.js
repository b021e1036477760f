/** @odoo-module **/

import { registry } from "@web/core/registry";
import { screenshot } from "@carshare_fleet/../tests/tours/screenshot";

registry.category("web_tour.tours").add("carshare_screens_accountant_sepa", {
    steps: () => [
        {
            trigger: ".o_menu_sections button[data-menu-xmlid='carshare_billing.menu_carshare_billing']",
            run: "click",
        },
        {
            trigger: ".o-dropdown-item[data-menu-xmlid='carshare_billing_sepa.menu_carshare_payment_orders']",
            run: "click",
        },
        { trigger: ".o_list_view .o_data_row .o_data_cell", run: "click" },
        {
            content: "The SEPA order holds Acme's month-end invoice",
            trigger: ".o_form_view .o_field_widget[name=payment_line_ids] .o_data_row",
        },
        screenshot("accountant-payment-order"),
    ],
});
