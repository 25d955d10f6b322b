from odoo import fields, models


class ProjectTaskType(models.Model):
    _inherit = "project.task.type"

    miko_waiting_customer = fields.Boolean(
        string="Waiting for the Customer",
        help="A support request in this stage waits for the customer (clause 3.3.3): its "
        "response clock stands still until it leaves the stage.",
    )
