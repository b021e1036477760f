/** @odoo-module **/

import { registry } from "@web/core/registry";
import { screenshot } from "@carshare_fleet/../tests/tours/screenshot";

/** A tiny red PNG, as a phone camera would hand it to the file input. */
function setPhoto(input) {
    const data =
        "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==";
    const bytes = Uint8Array.from(atob(data), (char) => char.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], "vehicle.png", { type: "image/png" }));
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
}

function openFromHome(href) {
    return [
        {
            trigger: ".o_portal_submenu a[href='/my/home']",
            run: "click",
            expectUnloadPage: true,
        },
        { trigger: `.o_portal_index_card a[href^='${href}']`, run: "click", expectUnloadPage: true },
    ];
}

registry.category("web_tour.tours").add("carshare_screens_resident_book", {
    steps: () => [
        { content: "The free vehicles at the station", trigger: ".o_carshare_result .o_carshare_book" },
        screenshot("resident-search"),
        {
            trigger: ".o_carshare_result:contains('PT-002-AA') .o_carshare_book",
            run: "click",
            expectUnloadPage: true,
        },
        { content: "The price and the deposit before confirming", trigger: ".o_carshare_price" },
        screenshot("resident-book"),
        { trigger: ".o_carshare_confirm", run: "click", expectUnloadPage: true },
        { content: "The access code", trigger: ".o_carshare_code_card .o_carshare_code" },
        {
            content: "Leave a card for the deposit",
            trigger: ".o_carshare_card_form input[name=customer_input]",
            run: "edit 4242 4242 4242 4242",
        },
        { trigger: ".o_carshare_card_form #simulated_payment_state", run: "select done" },
        screenshot("resident-card"),
        {
            trigger: ".o_carshare_card_form button[name=o_payment_submit_button]",
            run: "click",
            expectUnloadPage: true,
        },
        { content: "Back on the booking", trigger: ".o_carshare_deposit" },
    ],
});

registry.category("web_tour.tours").add("carshare_screens_resident_drive", {
    steps: () => [
        { content: "The deposit is held", trigger: ".o_carshare_deposit" },
        { trigger: ".o_carshare_code_card .o_carshare_code" },
        screenshot("resident-code"),
        { trigger: ".o_carshare_unlock", run: "click", expectUnloadPage: true },
        { content: "The box is asked to open", trigger: ".alert-success" },
        screenshot("resident-unlock"),
        { trigger: "a.o_carshare_report_checkout", run: "click", expectUnloadPage: true },
        { trigger: "input[name=odometer]", run: "edit 1042" },
        { trigger: "input[name=energy_level]", run: "edit 80" },
        { trigger: "select[name=cleanliness]", run: "select clean" },
        {
            content: "Photograph the vehicle",
            trigger: "input[name=photos]",
            run() {
                setPhoto(this.anchor);
            },
        },
        screenshot("resident-report"),
        { trigger: ".o_carshare_report_submit", run: "click", expectUnloadPage: true },
        { trigger: ".alert-success" },
        ...openFromHome("/my/invoices"),
        { trigger: ".o_portal_my_doc_table a[href*='/my/invoices/']", run: "click", expectUnloadPage: true },
        { content: "Last week's invoice", trigger: "#portal_sale_content, .o_portal_sidebar" },
        screenshot("resident-invoice"),
        ...openFromHome("/my/carshare/deposits"),
        {
            content: "The deposits held and released; no card asked for a finished trip",
            trigger: ".o_portal_my_doc_table:not(:has(a[href='/my/payment_method'])) tbody tr",
        },
        screenshot("resident-deposits"),
    ],
});
