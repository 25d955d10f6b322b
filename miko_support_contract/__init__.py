from . import controllers
from . import models
from . import wizards


def _post_init_hook(env):
    """Give every company with a chart of accounts its advance/revenue accounts and product."""
    env["res.company"].search([])._miko_setup_support_accounting()
