/** @odoo-module **/

import { registry } from "@web/core/registry";

/** A tiny red PNG, as a phone camera would hand it to the file input. */
function pngFile(name) {
    const data =
        "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==";
    const bytes = Uint8Array.from(atob(data), (char) => char.charCodeAt(0));
    return new File([bytes], name, { type: "image/png" });
}

function setValue(input, value) {
    input.value = value;
    input.dispatchEvent(new Event("change", { bubbles: true }));
}

function setFile(input, name) {
    const transfer = new DataTransfer();
    transfer.items.add(pngFile(name));
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
}

registry.category("web_tour.tours").add("carshare_portal_signup", {
    steps: () => [
        {
            content: "Open the membership page from the portal home",
            trigger: "a[href='/my/carshare/signup']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Join the community",
            trigger: ".card:contains('Portal Test Community') .o_carshare_join",
            run: "click",
            expectUnloadPage: true,
        },
        { trigger: "input[name=street]", run: "edit 1 rue aux Sieurs" },
        { trigger: "input[name=zip]", run: "edit 61000" },
        { trigger: "input[name=city]", run: "edit Alençon" },
        {
            trigger: "input[name=carshare_birthdate]",
            run() {
                setValue(this.anchor, "1990-04-12");
            },
        },
        { trigger: "input[name=driving_licence_number]", run: "edit 12AB34567" },
        {
            trigger: "input[name=driving_licence_issue_date]",
            run() {
                setValue(this.anchor, "2010-06-01");
            },
        },
        {
            content: "Take a photo of the licence",
            trigger: "input[name=driving_licence_scan]",
            run() {
                setFile(this.anchor, "licence.png");
            },
        },
        {
            content: "Add a proof of address",
            trigger: "input[name=proof_of_address]",
            run() {
                setFile(this.anchor, "bill.png");
            },
        },
        {
            content: "Read the charter",
            trigger: ".o_carshare_charter:contains('Bring the vehicle back charged')",
        },
        { trigger: "input[name=charter_accepted]", run: "check" },
        {
            content: "Send the request",
            trigger: ".o_carshare_signup button[type=submit]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The request waits for the manager",
            trigger: ".alert-success:contains('Your request is sent')",
        },
        { trigger: ".list-group-item:contains('Portal Test Community') .text-bg-info" },
    ],
});

registry.category("web_tour.tours").add("carshare_portal_booking", {
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
        { trigger: "label[for=usage_pro]:contains('Acme')" },
        { trigger: "input[name=usage][value=perso]", run: "check" },
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

registry.category("web_tour.tours").add("carshare_portal_cancel", {
    steps: () => [
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

registry.category("web_tour.tours").add("carshare_portal_checkin", {
    steps: () => [
        {
            content: "Open the check-in report",
            trigger: "a.o_carshare_report_checkin",
            run: "click",
            expectUnloadPage: true,
        },
        { trigger: "input[name=odometer]", run: "edit 1042" },
        { trigger: "input[name=energy_level]", run: "edit 35" },
        { trigger: "select[name=cleanliness]", run: "select clean" },
        {
            content: "Photograph the vehicle",
            trigger: "input[name=photos]",
            run() {
                setFile(this.anchor, "vehicle.png");
            },
        },
        { trigger: "input[name=damage_0_description]", run: "edit Dent on the rear bumper" },
        { trigger: "select[name=damage_0_location]", run: "select rear" },
        {
            content: "Photograph the damage",
            trigger: "input[name=damage_0_photo]",
            run() {
                setFile(this.anchor, "dent.png");
            },
        },
        {
            content: "Send the report",
            trigger: ".o_carshare_report_submit",
            run: "click",
            expectUnloadPage: true,
        },
        { trigger: ".alert-success:contains('your report is recorded')" },
        { trigger: ".o_carshare_report img.o_carshare_thumb" },
    ],
});
