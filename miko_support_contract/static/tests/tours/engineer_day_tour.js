import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

// A screenshot for docs/walkthrough.md: the test (tests/common_tour.py) captures the page, then the tour goes on.
function screenshot(name) {
    return {
        content: `Screenshot ${name}`,
        trigger: "body",
        run: async () => {
            console.log(`miko_screenshot:${name}`);
            for (let i = 0; i < 200 && window.mikoScreenshotTaken !== name; i++) {
                await new Promise((resolve) => setTimeout(resolve, 50));
            }
        },
    };
}

// The engineer's day from the home screen (the demo speaks Russian): Support → Work → Activities → New, the contract
// chosen in its drop-down (it used to be empty), then the saved activity names its customer.
registry.category("web_tour.tours").add("miko_engineer_day", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Support app",
            trigger: '.o_app[data-menu-xmlid="miko_support_contract.miko_support_menu_root"]',
            run: "click",
        },
        {
            content: "Open the Work menu",
            trigger: '.o_menu_sections [data-menu-xmlid="miko_support_contract.miko_support_work_menu"]',
            run: "click",
        },
        {
            content: "Open the activities",
            trigger: '[data-menu-xmlid="miko_support_contract.miko_support_activity_menu"]',
            run: "click",
        },
        {
            content: "The activities list is shown",
            trigger: ".o_breadcrumb:contains(Активности)",
        },
        screenshot("engineer_activities"),
        {
            content: "Record a new activity",
            trigger: ".o_control_panel .o_list_button_add",
            run: "click",
        },
        {
            content: "Type what the customer will read",
            trigger: ".o_field_widget[name=subject] input",
            run: "edit Звонок из тура инженера",
        },
        {
            content: "Open the contract drop-down",
            trigger: ".o_field_widget[name=contract_id] input",
            run: "click",
        },
        {
            content: "The drop-down lists the contract: choose it",
            trigger: ".o_field_widget[name=contract_id] .o-autocomplete--dropdown-item:contains(ТП-)",
            run: "click",
        },
        {
            content: "The customer follows the contract",
            trigger: ".o_field_widget[name=partner_id]:contains(Ромашка)",
        },
        {
            content: "Begin",
            trigger: ".o_field_widget[name=date_begin] input",
            run: "edit 24.11.2026 10:00:00",
        },
        {
            content: "Close the date picker",
            trigger: ".o_form_sheet .oe_title",
            run: "click",
        },
        {
            content: "End",
            trigger: ".o_field_widget[name=date_end] input",
            run: "edit 24.11.2026 10:20:00",
        },
        {
            content: "Close the date picker",
            trigger: ".o_form_sheet .oe_title",
            run: "click",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved: the breadcrumb shows the subject",
            trigger: ".o_breadcrumb .active:contains(Звонок из тура инженера)",
        },
        {
            content: "Twenty minutes recorded",
            trigger: ".o_field_widget[name=raw_seconds]:contains(200)",
        },
        screenshot("engineer_activity"),
    ],
});
