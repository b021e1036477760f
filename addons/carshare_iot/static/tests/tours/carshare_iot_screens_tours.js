/** @odoo-module **/

import { registry } from "@web/core/registry";
import { screenshot } from "@carshare_fleet/../tests/tours/screenshot";

function openMenu(section, item) {
    return [
        { trigger: `.o_menu_sections button[data-menu-xmlid='${section}']`, run: "click" },
        { trigger: `.o-dropdown-item[data-menu-xmlid='${item}']`, run: "click" },
    ];
}

registry.category("web_tour.tours").add("carshare_screens_manager", {
    steps: () => [
        {
            content: "The planning shows the bookings on their vehicles",
            trigger: ".oe_timeline_view .vis-item",
        },
        screenshot("manager-planning"),
        ...openMenu("carshare_fleet.menu_carshare_operations", "carshare_booking.menu_carshare_booking"),
        {
            content: "Open the booking on the road",
            trigger: ".o_list_view .o_data_row.text-success .o_data_cell",
            run: "click",
        },
        { trigger: ".o_form_view .o_form_sheet .o_field_widget[name=vehicle_id]" },
        screenshot("manager-booking"),
        ...openMenu(
            "carshare_fleet.menu_carshare_reporting",
            "carshare_booking.menu_carshare_booking_report"
        ),
        { trigger: ".o_action_manager:not(:has(.o_form_view)) .o_pivot .o_pivot_cell_value" },
        { trigger: ".o_switch_view.o_graph", run: "click" },
        { content: "The occupancy per vehicle and month", trigger: ".o_graph_renderer canvas" },
        screenshot("manager-occupancy"),
        ...openMenu("carshare_fleet.menu_carshare_fleet", "carshare_iot.menu_carshare_iot_device"),
        { trigger: ".o_kanban_view .o_kanban_record" },
        { trigger: ".o_switch_view.o_list", run: "click" },
        { content: "The connected boxes of the fleet", trigger: ".o_list_view .o_data_row" },
        screenshot("manager-devices"),
    ],
});
