from odoo import fields, models


class SupportBillingQueue(models.Model):
    """The (contract, engineer, day) groups whose activities changed since they were billed.

    Every change of an activity (create, write, unlink, the bulk upsert) queues the groups it
    leaves and enters (``miko.support.activity._queue_billing_groups``); the billing run bills the
    queued groups and deletes them in the same transaction, so a run that stops half-way resumes
    from what is left. Internal: no one reads it but the billing code (sudo).
    """

    _name = "miko.support.billing.queue"
    _description = "Support Billing Queue"
    _log_access = False
    _order = "contract_id, user_id, day"

    contract_id = fields.Many2one(
        "miko.support.contract", required=True, readonly=True, ondelete="cascade"
    )
    user_id = fields.Many2one("res.users", required=True, readonly=True, ondelete="cascade")
    day = fields.Date(required=True, readonly=True)
    version = fields.Integer(
        readonly=True,
        default=0,
        help="Bumped by every change queued again: the billing run deletes the row only at the "
        "version it billed.",
    )

    _group_unique = models.UniqueIndex(
        "(contract_id, user_id, day)", "This day is already queued for billing."
    )


class SupportChargeQueue(models.Model):
    """The (contract, month) whose billed minutes changed since the wallet was last charged.

    The billing run queues the month of every day line it creates or whose billed minutes it
    changes; the wallet posting (``_post_consumption``) charges the queued months and deletes
    them in the same transaction. Internal, like the billing queue.
    """

    _name = "miko.support.charge.queue"
    _description = "Support Wallet Charge Queue"
    _log_access = False
    _order = "contract_id, month"

    contract_id = fields.Many2one(
        "miko.support.contract", required=True, readonly=True, ondelete="cascade"
    )
    month = fields.Date(required=True, readonly=True, help="First day of the month.")
    version = fields.Integer(
        readonly=True,
        default=0,
        help="Bumped by every change queued again: the wallet posting deletes the row only at "
        "the version it charged.",
    )

    _month_unique = models.UniqueIndex(
        "(contract_id, month)", "This month is already queued for charging."
    )
