from . import capture
from . import controllers
from . import models
from . import wizards


def _post_init_hook(env):
    """Give every company with a chart of accounts its advance/revenue accounts and product,
    and every company its support request project."""
    env["res.company"].search([])._miko_setup_support_accounting()
    for company in env["res.company"].search([]):
        env["project.project"]._miko_support_project(company)
