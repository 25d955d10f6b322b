import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

// The day of each role from the home screen, through the real menus. A `screenshot` step asks the test to capture
// the page (tests/common_tour.py) and waits until it is saved.

function screenshot(name, trigger = "body") {
    return {
        content: `Screenshot ${name}`,
        trigger,
        run: async () => {
            console.log(`miko_screenshot:${name}`);
            for (let i = 0; i < 200 && window.mikoScreenshotTaken !== name; i++) {
                await new Promise((resolve) => setTimeout(resolve, 50));
            }
        },
    };
}

function openSupportMenu(menu, submenu) {
    const steps = [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Support app",
            trigger: '.o_app[data-menu-xmlid="miko_support_contract.miko_support_menu_root"]',
            run: "click",
        },
        {
            content: `Open the menu ${menu}`,
            trigger: `.o_menu_sections [data-menu-xmlid="miko_support_contract.${menu}"]`,
            run: "click",
        },
    ];
    if (submenu) {
        steps.push({
            content: `Open the menu ${submenu}`,
            trigger: `.dropdown-menu [data-menu-xmlid="miko_support_contract.${submenu}"]`,
            run: "click",
        });
    }
    return steps;
}

registry.category("web_tour.tours").add("miko_admin_settings", {
    url: "/odoo",
    steps: () => [
        ...openSupportMenu("miko_support_config_menu", "miko_support_config_settings_menu"),
        {
            content: "The settings page opens on Support Contracts",
            trigger: '.app_settings_block[data-key="miko_support_contract"] .o_field_widget[name=miko_support_tz]',
        },
        {
            content: "The EDI operator is shown",
            trigger: ".o_field_widget[name=miko_edi_provider]",
        },
        {
            content: "The request form limit is shown",
            trigger: ".o_field_widget[name=miko_request_rate_limit] input:value(5)",
        },
        screenshot("admin_settings"),
        {
            content: "Seven minutes for an e-mail",
            trigger: ".o_field_widget[name=miko_email_minutes] input",
            run: "edit 7",
        },
        {
            content: "Save the settings (the page reloads)",
            trigger: ".o_form_button_save",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Saved: the page shows seven minutes and nothing unsaved",
            trigger: ".o-settings-form-view:not(:has(.o_dirty_warning)) .o_field_widget[name=miko_email_minutes] input:value(7)",
        },
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Settings app",
            trigger: '.o_app[data-menu-xmlid="base.menu_administration"]',
            run: "click",
        },
        {
            content: "Open Users & Companies",
            trigger: '.o_menu_sections [data-menu-xmlid="base.menu_users"]',
            run: "click",
        },
        {
            content: "Open the companies",
            trigger: '.dropdown-menu [data-menu-xmlid="base.menu_action_res_company_form"]',
            run: "click",
        },
        {
            content: "Open the company МИКО",
            trigger: ".o_data_row td:contains(МИКО)",
            run: "click",
        },
        {
            content: "Open the tab Support Contracts",
            trigger: '.o_notebook a.nav-link[name="miko_support"]',
            run: "click",
        },
        screenshot("admin_company"),
        {
            content: "The postal address of the company",
            trigger: ".o_field_widget[name=miko_postal_address] textarea",
            run: "edit 101000, Москва, а/я 17",
        },
        {
            content: "Save the company (the web client reloads)",
            trigger: ".o_form_button_save:enabled",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Reloaded on the company",
            trigger: '.o_form_view .o_notebook a.nav-link[name="miko_support"]',
        },
    ],
});

registry.category("web_tour.tours").add("miko_sales_day", {
    url: "/odoo",
    steps: () => [
        ...openSupportMenu("miko_support_contract_menu"),
        {
            content: "The contracts list is shown",
            trigger: ".o_list_view .o_data_row",
        },
        screenshot("sales_contracts"),
        {
            content: "A new contract",
            trigger: ".o_control_panel .o_list_button_add",
            run: "click",
        },
        {
            content: "Type the new customer",
            trigger: ".o_field_widget[name=partner_id] input",
            run: "edit ООО «Клиент из тура»",
        },
        {
            content: "Create the customer",
            trigger: ".o_field_widget[name=partner_id] .o_m2o_dropdown_option_create a, .o_field_widget[name=partner_id] .o_m2o_dropdown_option_create",
            run: "click",
        },
        {
            content: "The customer is chosen",
            trigger: ".o_field_widget[name=partner_id] input:value(ООО «Клиент из тура»)",
        },
        ...stepUtils.saveForm(),
        {
            content: "The contract is numbered",
            trigger: ".o_field_widget[name=name]:contains(ТП-)",
        },
        {
            content: "Issue a prepayment invoice",
            trigger: ".o_statusbar_buttons button.btn-primary",
            run: "click",
        },
        {
            content: "Invoice an amount",
            trigger: ".modal .o_field_widget[name=mode] input[data-value=amount]",
            run: "click",
        },
        {
            content: "Seventeen thousand rubles",
            trigger: ".modal .o_field_widget[name=amount] input",
            run: "edit 17000",
        },
        {
            content: "Leave the amount",
            trigger: ".modal .modal-title",
            run: "click",
        },
        {
            content: "The total follows",
            trigger: ".modal .o_field_widget[name=total]:contains(17)",
        },
        screenshot("sales_invoice_wizard"),
        {
            content: "Create the invoice",
            trigger: ".modal footer button.btn-primary",
            run: "click",
        },
        {
            content: "The draft invoice of the customer",
            trigger: ".o_form_view .o_field_widget[name=partner_id] input:value(ООО «Клиент из тура»)",
        },
        {
            content: "Confirm it",
            trigger: ".o_statusbar_buttons button[name=action_post]",
            run: "click",
        },
        {
            content: "Posted",
            trigger: ".o_statusbar_status button.o_arrow_button_current[data-value=posted]",
        },
        {
            content: "Numbered as an invoice for payment",
            trigger: ".o_field_widget[name=name]:contains(Счёт/)",
        },
        screenshot("sales_invoice"),
        {
            content: "Open the actions",
            trigger: ".o_cp_action_menus button:has(.fa-cog)",
            run: "click",
        },
        {
            content: "Open the print menu",
            trigger: ".o-dropdown--menu button:has(.fa-print)",
            run: "click",
        },
        {
            content: "Print the invoice for payment",
            trigger: ".o-dropdown--menu .o_menu_item:contains(Счёт на оплату)",
            run: "click",
        },
        {
            content: "Still on the invoice",
            trigger: ".o_statusbar_status button.o_arrow_button_current[data-value=posted]",
        },
    ],
});

registry.category("web_tour.tours").add("miko_customer_day", {
    url: "/my",
    steps: () => [
        {
            content: "Open the support contracts from the portal home",
            trigger: 'a[href="/my/support"]',
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The contracts of Ромашка are listed",
            trigger: "a.o_miko_contract_link:contains(ТП-)",
        },
        {
            content: "The breadcrumb names the page",
            trigger: ".o_portal_submenu .breadcrumb-item.active:not(:has(a))",
        },
        screenshot("customer_contracts"),
        {
            content: "Open the contract",
            trigger: "a.o_miko_contract_link:first",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The balance is shown in rubles",
            trigger: ".o_miko_balance:contains(руб)",
        },
        {
            content: "The balance chart has its dates",
            trigger: ".o_miko_balance_chart .o_miko_chart_date",
        },
        {
            content: "The breadcrumb leads back to the contracts",
            trigger: '.o_portal_submenu a[href="/my/support"]',
        },
        screenshot("customer_contract"),
        {
            content: "Go to the request form",
            trigger: "body",
            run: () => {
                window.location.href = "/support/request";
            },
            expectUnloadPage: true,
        },
        {
            content: "Organisation",
            trigger: "form.o_miko_support_request input[name=organisation]",
            run: "edit ООО «Ромашка»",
        },
        {
            content: "Registration number",
            trigger: "input[name=registration_number]",
            run: "edit PT-100234",
        },
        {
            content: "Contact",
            trigger: "input[name=contact_name]",
            run: "edit Иванова Мария Петровна",
        },
        {
            content: "E-mail",
            trigger: "input[name=email]",
            run: "edit m.ivanova@romashka.example",
        },
        {
            content: "Phone",
            trigger: "input[name=phone]",
            run: "edit +7 495 123-45-67",
        },
        {
            content: "What happened",
            trigger: "textarea[name=description]",
            run: "edit Не формируется УПД за октябрь (из тура клиента)",
        },
        screenshot("customer_request_form"),
        {
            content: "Send the request",
            trigger: "form.o_miko_support_request button[type=submit]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The request is received with its number and deadline",
            trigger: "#wrap h1 ~ p strong:first",
        },
        screenshot("customer_request_sent"),
    ],
});

registry.category("web_tour.tours").add("miko_finance_day", {
    url: "/odoo",
    steps: () => [
        ...openSupportMenu("miko_support_contract_menu"),
        {
            content: "Open the unpaid contract of ТехноСтрой",
            trigger: ".o_data_row td:contains(ТехноСтрой)",
            run: "click",
        },
        {
            content: "Nothing paid yet: the wallet is empty",
            trigger: ".o_form_view button[name=action_view_ledger] .o_stat_value:contains(0,00)",
        },
        {
            content: "Open its invoices",
            trigger: ".o_form_view button[name=action_view_invoices]",
            run: "click",
        },
        {
            content: "Open the invoice for payment",
            trigger: ".o_data_row td:contains(ТехноСтрой)",
            run: "click",
        },
        {
            content: "Register the payment",
            trigger: ".o_statusbar_buttons button[name=action_register_payment]",
            run: "click",
        },
        {
            content: "Thirteen thousand six hundred rubles are offered",
            trigger: ".modal .o_field_widget[name=amount] input:value(/13.?600/)",
        },
        screenshot("finance_payment"),
        {
            content: "Create the payment",
            trigger: ".modal button[name=action_create_payments]",
            run: "click",
        },
        {
            content: "The invoice is paid",
            trigger: ".o_form_view:not(:has(.modal)) .o_statusbar_buttons:not(:has(button[name=action_register_payment]))",
        },
        {
            content: "Back to the contract",
            trigger: ".o_breadcrumb a:contains(ТП-)",
            run: "click",
        },
        {
            content: "The wallet is credited: 13 600 rubles",
            trigger: ".o_form_view button[name=action_view_ledger] .o_stat_value:contains(13)",
        },
        {
            content: "The contract is active from the payment",
            trigger: ".o_statusbar_status button.o_arrow_button_current[data-value=active]",
        },
        screenshot("finance_contract"),
        {
            content: "Open the statement",
            trigger: ".o_statusbar_buttons button:contains(Отчёт)",
            run: "click",
        },
        {
            content: "The statement shows the receipt",
            trigger: ".modal .o_field_widget[name=receipts_amount]:contains(13)",
        },
        screenshot("finance_statement"),
        {
            content: "Print it",
            trigger: ".modal button[name=action_print]",
            run: "click",
        },
        {
            content: "Printed: close the statement",
            trigger: ".modal .btn-close",
            run: "click",
        },
        ...openSupportMenu("miko_support_wallet_menu", "miko_support_upd_month_close_menu"),
        {
            content: "The previous month is offered",
            trigger: ".modal .o_field_widget[name=month]",
        },
        {
            content: "Close the month",
            trigger: ".modal footer button[name=action_generate]",
            run: "click",
        },
        {
            content: "Its UPDs are done and can be opened",
            trigger: ".modal footer button[name=action_view_upds]",
        },
        screenshot("finance_month_close"),
        {
            content: "Open the UPDs",
            trigger: ".modal footer button[name=action_view_upds]",
            run: "click",
        },
        {
            content: "The month's UPDs are listed: open the one sent",
            trigger: ".o_data_row:contains(Отправлен) td.o_data_cell",
            run: "click",
        },
        {
            content: "It is sent",
            trigger: ".o_statusbar_status button.o_arrow_button_current[data-value=sent]",
        },
        {
            content: "The customer received it today",
            trigger: ".o_statusbar_buttons button[name=action_mark_delivered_today]",
            run: "click",
        },
        {
            content: "Delivered: the acceptance period runs",
            trigger: ".o_statusbar_status button.o_arrow_button_current[data-value=delivered]",
        },
        screenshot("finance_upd"),
        ...openSupportMenu("miko_support_contract_menu"),
        {
            content: "Open the contract of ТехноСтрой again",
            trigger: ".o_data_row td:contains(ТехноСтрой)",
            run: "click",
        },
        {
            content: "Open the statement",
            trigger: ".o_statusbar_buttons button:contains(Отчёт)",
            run: "click",
        },
        {
            // the download is the last step: the browser treats it as leaving the page
            content: "Export it to XLSX",
            trigger: ".modal button[name=action_export_xlsx]",
            run: "click",
        },
    ],
});
