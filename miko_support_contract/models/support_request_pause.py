from odoo import api, fields, models


class SupportRequestPause(models.Model):
    """A period a support request waited for the customer (clause 3.3.3): its response clock
    stands still from the move into a «waiting for the customer» stage to the move out of it."""

    _name = "miko.support.request.pause"
    _description = "Support Request Pause"
    _order = "date_start, id"
    _check_company_auto = True

    task_id = fields.Many2one(
        "project.task", string="Request", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="task_id.company_id", store=True, index=True)
    date_start = fields.Datetime(string="Waiting Since", required=True)
    date_end = fields.Datetime(
        string="Waiting Until", help="Empty while the request still waits for the customer."
    )

    @api.model
    def _open_for(self, tasks, moment):
        """Open a pause for each of ``tasks`` that has none open."""
        open_tasks = self.search([("task_id", "in", tasks.ids), ("date_end", "=", False)]).task_id
        return self.create(
            [{"task_id": task.id, "date_start": moment} for task in tasks - open_tasks]
        )

    @api.model
    def _close_for(self, tasks, moment):
        """Close the open pauses of ``tasks`` at ``moment``."""
        pauses = self.search([("task_id", "in", tasks.ids), ("date_end", "=", False)])
        pauses.write({"date_end": moment})
        return pauses
