/** @odoo-module **/

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("carshare_portal_billing_booking", {
    steps: () => [
        {
            content: "Pick the station",
            trigger: "select[name=station_id]",
            run: "selectByLabel Alençon Gare",
        },
        {
            content: "Search",
            trigger: ".o_carshare_search_button",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "A booked vehicle tells when it is free again",
            trigger: ".o_carshare_result:contains('PT-003-AA') .o_carshare_next_free",
        },
        {
            content: "Book the free car",
            trigger: ".o_carshare_result:contains('PT-001-AA') .o_carshare_book",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The price shows before confirming",
            trigger: "label[for=usage_perso] .o_carshare_price",
        },
        { trigger: "label[for=usage_pro]:contains('Acme')" },
        { trigger: "input[name=usage][value=perso]", run: "check" },
        {
            content: "The buy-back of the excess is priced: one started day",
            trigger: "label[for=insurance_buyback] .o_carshare_buyback_price:contains('7.60')",
        },
        { trigger: "input[name=insurance_buyback]", run: "check" },
        {
            content: "Confirm",
            trigger: ".o_carshare_confirm",
            run: "click",
            expectUnloadPage: true,
        },
        { trigger: ".alert-success:contains('Your booking is confirmed')" },
        {
            content: "The access code shows on the confirmation",
            trigger: ".o_carshare_code_card .o_carshare_code",
        },
        { trigger: "a.o_carshare_ics" },
        { trigger: ".o_carshare_station:contains('1 place de la Gare')" },
    ],
});

registry.category("web_tour.tours").add("carshare_portal_billing_cancel", {
    steps: () => [
        {
            content: "The fee shows before cancelling",
            trigger: ".o_carshare_cancellation_fee:contains('5.00')",
        },
        {
            content: "Cancel",
            trigger: ".o_carshare_cancel",
            run: "click",
            expectUnloadPage: true,
        },
        { trigger: ".alert-success:contains('Your booking is cancelled')" },
        { trigger: ".o_carshare_state:contains('Cancelled')" },
    ],
});
