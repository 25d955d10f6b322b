from odoo import api, fields, models

SUPPORT_ALIAS = "support"


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
                    {"name": self.env._("New"), "sequence": 1},
                    {"name": self.env._("In Progress"), "sequence": 10},
                    {
                        "name": self.env._("Waiting for Customer"),
                        "sequence": 20,
                        "miko_waiting_customer": True,
                    },
                    {"name": self.env._("Done"), "sequence": 30, "fold": True},
                ]
            )
        )
        return (
            self.sudo()
            .with_company(company)
            .create(
                {
                    "name": self.env._("Support"),
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
