import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("miko_portal_statement", {
    url: "/my",
    steps: () => [
        {
            content: "Open the support contracts from the portal home",
            trigger: 'a[href="/my/support"]',
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Open the contract",
            trigger: "a.o_miko_contract_link:first",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The balance and its chart are shown",
            trigger: ".o_miko_balance .oe_currency_value",
        },
        {
            content: "Download the statement of the last 30 days",
            trigger: "a.o_miko_statement_pdf[download]",
            run: "click",
        },
        {
            content: "Still on the contract page",
            trigger: ".o_miko_statement_form",
        },
    ],
});
