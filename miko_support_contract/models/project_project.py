from odoo import api, fields, models

from .i18n_terms import store_in_all_languages

SUPPORT_ALIAS = "support"
# the request stages of the support project, in the reader's language
STAGE_TERMS = (
    lambda env: env._("New"),
    lambda env: env._("In Progress"),
    lambda env: env._("Waiting for Customer"),
    lambda env: env._("Done"),
)


class ProjectProject(models.Model):
    _inherit = "project.project"

    miko_is_support = fields.Boolean(
        string="Support Requests",
        copy=False,
        index=True,
        help="The company's project of support requests: tasks arriving in it get a response "
        "deadline counted in support hours.",
    )

    _miko_support_company_unique = models.UniqueIndex(
        "(company_id) WHERE miko_is_support",
        "A company has only one support request project.",
    )

    @api.model
    def _miko_support_project(self, company):
        """The support request project of ``company``, created on first use."""
        company = company or self.env.company
        project = (
            self.sudo()
            .with_context(active_test=False)
            .search([("miko_is_support", "=", True), ("company_id", "=", company.id)], limit=1)
        )
        return project or self.sudo()._miko_create_support_project(company)

    @api.model
    def _miko_create_support_project(self, company):
        alias = SUPPORT_ALIAS
        Alias = self.env["mail.alias"].sudo()
        if Alias.search_count([("alias_name", "=", alias)], limit=1):
            alias = f"{SUPPORT_ALIAS}-{company.id}"
        if Alias.search_count([("alias_name", "=", alias)], limit=1):
            alias = False
        stages = (
            self.env["project.task.type"]
            .sudo()
            .create(
                [
                    {"name": "New", "sequence": 1},
                    {"name": "In Progress", "sequence": 10},
                    {"name": "Waiting for Customer", "sequence": 20, "miko_waiting_customer": True},
                    {"name": "Done", "sequence": 30, "fold": True},
                ]
            )
        )
        for stage, term in zip(stages, STAGE_TERMS, strict=True):
            store_in_all_languages(stage, "name", term)
        project = (
            self.sudo()
            .with_company(company)
            .create(
                {
                    "name": "Support",
                    "company_id": company.id,
                    "miko_is_support": True,
                    "privacy_visibility": "employees",
                    "allow_timesheets": True,
                    "type_ids": [fields.Command.set(stages.ids)],
                    "alias_name": alias,
                    "alias_contact": "everyone",
                }
            )
        )
        store_in_all_languages(project, "name", lambda env: env._("Support"))
        return project.with_env(self.env)
