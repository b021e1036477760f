/** @odoo-module **/

import { registry } from "@web/core/registry";
import { screenshot } from "@carshare_fleet/../tests/tours/screenshot";

registry.category("web_tour.tours").add("carshare_screens_accountant", {
    steps: () => [
        { content: "The invoices per community", trigger: ".o_list_view .o_group_header", run: "click" },
        { trigger: ".o_list_view .o_data_row:eq(1)" },
        screenshot("accountant-invoices"),
        { trigger: ".o_list_view .o_data_row .o_data_cell", run: "click" },
        { trigger: ".o_form_view .o_field_widget[name=invoice_line_ids] .o_data_row" },
        screenshot("accountant-invoice"),
    ],
});
