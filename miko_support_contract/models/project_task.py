import re
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import format_datetime, html2plaintext
from odoo.tools.mail import parse_contact_from_email

from ..rules import business_hours, force_majeure

# Registration numbers of the vendor's products: two to four letters, a dash, digits (PT-100234).
REGISTRATION_NUMBER_RE = re.compile(r"\b([A-Za-z]{2,4}-\d{4,8})\b")
ESCALATION_BATCH = 200

EMAIL_MINUTES_PARAM = "miko_support_contract.email_minutes"
DEFAULT_EMAIL_MINUTES = 5


class ProjectTask(models.Model):
    _inherit = "project.task"

    miko_is_request = fields.Boolean(
        string="Support Request",
        related="project_id.miko_is_support",
        store=True,
        index=True,
    )
    miko_contract_id = fields.Many2one(
        "miko.support.contract",
        string="Support Contract",
        compute="_compute_miko_contract_id",
        store=True,
        readonly=False,
        index="btree_not_null",
        check_company=True,
        tracking=True,
        help="Found from the registration number; set it by hand for an unknown number.",
    )
    miko_contract_state = fields.Selection(
        related="miko_contract_id.state", string="Contract Status"
    )
    miko_registration_number = fields.Char(
        string="Registration Number",
        index=True,
        tracking=True,
        help="Product registration number given by the customer.",
    )
    miko_unknown_registration = fields.Boolean(
        string="Unknown Registration Number",
        compute="_compute_miko_unknown_registration",
        store=True,
        help="The number is missing or matches no registered licence: the request is accepted "
        "and waits for a contract to be chosen.",
    )
    miko_suspended_on_arrival = fields.Boolean(
        string="Arrived While Suspended",
        readonly=True,
        copy=False,
        help="The customer's contract was suspended when the request arrived.",
    )
    miko_organisation = fields.Char(string="Organisation")
    miko_contact_name = fields.Char(string="Contact Name")
    miko_contact_phone = fields.Char(string="Contact Phone")
    miko_contact_phone_other = fields.Char(string="Other Phone")
    miko_remote_ip = fields.Char(
        string="Sender IP",
        readonly=True,
        index="btree_not_null",
        copy=False,
        groups="miko_support_contract.group_manager",
        help="Address the web form was posted from (rate limit).",
    )
    miko_arrival = fields.Datetime(
        string="Arrived On", copy=False, tracking=True, help="When the request reached us."
    )
    miko_deadline = fields.Datetime(
        string="Response Deadline",
        compute="_compute_miko_deadline",
        store=True,
        copy=False,
        help="Work starts within 24 support hours: counted from the next opening when the request "
        "arrives outside support hours, moved to the next opening when it falls outside them.",
    )
    miko_work_start = fields.Datetime(
        string="Work Started On",
        copy=False,
        tracking=True,
        help="Set by Start Work or when the request leaves its first stage.",
    )
    miko_time_left = fields.Float(
        string="Time Left (h)",
        compute="_compute_miko_time_left",
        help="Support hours left until the response deadline; negative once it has passed.",
    )
    miko_pause_ids = fields.One2many(
        "miko.support.request.pause",
        "task_id",
        string="Waiting for the Customer",
        readonly=True,
        copy=False,
        help="Periods the request waited for the customer: the response clock stood still.",
    )
    miko_deadline_breached = fields.Boolean(
        string="Deadline Breached",
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
        help="Work did not start before the response deadline; the support manager was alerted.",
    )

    # ------------------------------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------------------------------
    @api.depends("miko_registration_number", "company_id")
    def _compute_miko_contract_id(self):
        licences = self._miko_licences_by_number()
        for task in self:
            licence = licences.get((task.company_id.id, task._miko_clean_number()))
            task.miko_contract_id = licence.contract_id if licence else task.miko_contract_id

    @api.depends("miko_is_request", "miko_registration_number", "company_id")
    def _compute_miko_unknown_registration(self):
        licences = self._miko_licences_by_number()
        for task in self:
            task.miko_unknown_registration = task.miko_is_request and not licences.get(
                (task.company_id.id, task._miko_clean_number())
            )

    # Not on the company's time zone: changing it must not move the deadlines already given.
    @api.depends(
        "miko_is_request",
        "miko_arrival",
        "company_id",
        "miko_contract_id.force_majeure_ids.date_start",
        "miko_contract_id.force_majeure_ids.date_end",
        "miko_pause_ids.date_start",
        "miko_pause_ids.date_end",
    )
    def _compute_miko_deadline(self):
        Contract = self.env["miko.support.contract"]
        for task in self:
            if task.miko_is_request and task.miko_arrival:
                company = task.company_id or self.env.company
                deadline = Contract._miko_response_deadline(task.miko_arrival, company)
                # force majeure (section IX): the clock stands still while an event lasts
                events = task.miko_contract_id.sudo().force_majeure_ids
                # waiting for the customer (3.3.3): so does it while the request waits; a pause
                # still open extends the deadline once it ends (the breach check skips it)
                pauses = task.sudo().miko_pause_ids.filtered("date_end")
                task.miko_deadline = force_majeure.extend_time_limit(
                    task.miko_arrival,
                    deadline,
                    [(event.date_start, event.date_end) for event in events]
                    + [(pause.date_start, pause.date_end) for pause in pauses],
                )
            else:
                task.miko_deadline = False

    @api.depends("miko_deadline", "miko_work_start")
    @api.depends_context("miko_now")
    def _compute_miko_time_left(self):
        now = self.env.context.get("miko_now") or fields.Datetime.now()
        for task in self:
            if not task.miko_deadline or task.miko_work_start:
                task.miko_time_left = 0.0
                continue
            tz = (task.company_id or self.env.company)._miko_support_zone().key
            left = business_hours.working_time_left(now, task.miko_deadline, tz)
            task.miko_time_left = left.total_seconds() / 3600

    # ------------------------------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        Project = self.env["project.project"]
        for vals in vals_list:
            project = Project.browse(
                vals.get("project_id") or self.env.context.get("default_project_id")
            )
            if not project and (
                self.env.context.get("miko_support_request")
                or vals.get("miko_registration_number")
                or vals.get("miko_contract_id")
            ):
                contract = self.env["miko.support.contract"].browse(vals.get("miko_contract_id"))
                company = contract.company_id or self.env["res.company"].browse(
                    vals.get("company_id")
                )
                project = Project._miko_support_project(company or self.env.company)
                vals["project_id"] = project.id
            if project.sudo().miko_is_support:
                self._miko_prepare_request_vals(vals)
        tasks = super().create(vals_list)
        for task in tasks.filtered("miko_is_request").sudo():
            if task.miko_contract_id and not task.partner_id:
                task.partner_id = task.miko_contract_id.partner_id
            if task.miko_contract_id.state == "suspended":
                task.miko_suspended_on_arrival = True
                task.message_post(
                    body=self.env._(
                        "Contract %(contract)s is suspended: the request is accepted, work waits "
                        "for payment.",
                        contract=task.miko_contract_id.display_name,
                    )
                )
        return tasks

    def write(self, vals):
        stage = self.env["project.task.type"].browse(vals.get("stage_id"))
        if stage and "miko_work_start" not in vals and not stage.sudo().miko_waiting_customer:
            # Leaving the first stage of the Support project starts the work (asking the
            # customer to wait does not).
            self.filtered(
                lambda t: (
                    t.miko_is_request
                    and not t.miko_work_start
                    and vals["stage_id"] != t.project_id.type_ids.sorted("sequence")[:1].id
                )
            )._miko_start_work()
        if stage:
            self._miko_record_pauses(stage.sudo())
        return super().write(vals)

    def _miko_record_pauses(self, stage):
        """Open a pause of the response clock on entering a «waiting for the customer» stage,
        close it on leaving one."""
        requests = self.filtered("miko_is_request").sudo()
        now = fields.Datetime.now()
        Pause = self.env["miko.support.request.pause"].sudo()
        waiting = requests.filtered(lambda t: t.stage_id.miko_waiting_customer)
        if stage.miko_waiting_customer:
            Pause._open_for(requests - waiting, now)
        else:
            Pause._close_for(waiting, now)

    # ------------------------------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------------------------------
    def action_miko_start_work(self):
        """The user takes the request: they join its assignees, a request still in the first
        stage moves to the next one (which records the start), and the start is recorded."""
        user = self.env.user
        for task in self:
            vals = {}
            if not user.share and user not in task.user_ids:
                vals["user_ids"] = [fields.Command.link(user.id)]
            stages = task.project_id.type_ids.sorted("sequence")
            if len(stages) > 1 and task.stage_id in (stages[0], self.env["project.task.type"]):
                vals["stage_id"] = stages[1].id
            if vals:
                task.write(vals)
        self._miko_start_work()

    # ------------------------------------------------------------------------------------------
    # Mail gateway: the support e-mail alias
    # ------------------------------------------------------------------------------------------
    @api.model
    def message_new(self, msg_dict, custom_values=None):
        custom_values = dict(custom_values or {})
        project = self.env["project.project"].browse(custom_values.get("project_id"))
        if project.sudo().miko_is_support:
            text = " ".join(
                (msg_dict.get("subject") or "", html2plaintext(msg_dict.get("body") or ""))
            )
            number = REGISTRATION_NUMBER_RE.search(text)
            custom_values.setdefault("miko_registration_number", number and number.group(1))
            name, email = parse_contact_from_email(msg_dict.get("email_from") or "")
            custom_values.setdefault("miko_contact_name", name or email)
        return super().message_new(msg_dict, custom_values=custom_values)

    # ------------------------------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------------------------------
    def _miko_clean_number(self):
        return (self.miko_registration_number or "").strip().upper()

    def _miko_licences_by_number(self):
        numbers = {task._miko_clean_number() for task in self} - {""}
        if not numbers:
            return {}
        licences = (
            self.env["miko.support.licence"]
            .sudo()
            .search([("registration_number", "in", list(numbers))])
        )
        return {(lic.company_id.id, lic.registration_number): lic for lic in licences}

    @api.model
    def _miko_prepare_request_vals(self, vals):
        vals.setdefault("miko_arrival", fields.Datetime.now())
        if vals.get("miko_registration_number"):
            vals["miko_registration_number"] = vals["miko_registration_number"].strip().upper()
        return vals

    def _miko_start_work(self):
        now = fields.Datetime.now()
        for task in self.filtered(lambda t: not t.miko_work_start):
            vals = {"miko_work_start": now}
            if task.miko_deadline and now > task.miko_deadline:
                vals["miko_deadline_breached"] = True
            task.write(vals)

    def _miko_breach_domain(self, now=None):
        return [
            ("miko_is_request", "=", True),
            ("miko_deadline_breached", "=", False),
            ("miko_work_start", "=", False),
            ("miko_deadline", "<", now or fields.Datetime.now()),
            ("is_closed", "=", False),
            ("stage_id.miko_waiting_customer", "=", False),
        ]

    def _miko_escalation_user(self):
        """The contract's salesperson, or else a support manager of the request's company."""
        self.ensure_one()
        responsible = self.miko_contract_id.user_id
        if responsible and responsible.active and not responsible.share:
            return responsible
        managers = self.env.ref("miko_support_contract.group_manager").sudo().all_user_ids
        return managers.filtered(
            lambda u: u.active and not u.share and self.company_id in u.company_ids
        )[:1]

    def _miko_escalate_breach(self):
        """Flag the requests whose deadline passed without work and alert the support manager.

        The note is written in the language of the person it is addressed to (the escalation
        user, else the first manager alerted, else the company's), with the deadline in the
        support time zone.
        """
        managers = self.env.ref("miko_support_contract.group_manager").sudo().all_user_ids
        for task in self.sudo():
            task.miko_deadline_breached = True
            user = task._miko_escalation_user()
            recipients = managers.filtered(
                lambda u, t=task: u.active and not u.share and t.company_id in u.company_ids
            ).partner_id
            reader = user.partner_id or recipients[:1] or task.company_id.partner_id
            reader_env = task.with_context(lang=reader.lang or self.env.lang).env
            message = reader_env._(
                "Response deadline %(deadline)s of request %(request)s passed without work "
                "starting: escalated to the support manager.",
                deadline=format_datetime(
                    reader_env,
                    task.miko_deadline,
                    tz=task.company_id._miko_support_zone().key,
                    dt_format="short",
                ),
                request=task.display_name,
            )
            task.message_post(
                body=message,
                partner_ids=recipients.ids,
                subtype_xmlid="mail.mt_note",
            )
            if user:
                task.activity_schedule(
                    "mail.mail_activity_data_todo",
                    user_id=user.id,
                    summary=reader_env._("Response deadline breached"),
                    note=message,
                )

    @api.model
    def _cron_miko_check_deadlines(self):
        domain = self._miko_breach_domain()
        while tasks := self.search(domain, limit=ESCALATION_BATCH):
            tasks._miko_escalate_breach()
            remaining = self.search_count(domain)
            if not self.env["ir.cron"]._commit_progress(len(tasks), remaining=remaining):
                break

    @api.model
    def _miko_rate_limited(self, remote_ip, limit, minutes):
        """Whether ``remote_ip`` already sent ``limit`` requests in the last ``minutes``."""
        since = fields.Datetime.now() - timedelta(minutes=minutes)
        return (
            bool(remote_ip)
            and self.sudo().search_count(
                [("miko_remote_ip", "=", remote_ip), ("create_date", ">=", since)], limit=limit
            )
            >= limit
        )

    def _message_post_after_hook(self, message, msg_vals):
        result = super()._message_post_after_hook(message, msg_vals)
        for task in self:
            if task.miko_is_request and task.miko_contract_id:
                task._miko_register_email(message)
        return result

    def _miko_register_email(self, message):
        """A letter an engineer sent on the request: an activity of the time it took.

        Only outgoing letters are work billed to the customer (a comment of an engineer, not an
        internal note): an incoming e-mail of the customer is not, and neither is a comment of an
        internal user outside the support groups (it is kept as any chatter message). The time
        spent starts at the message and lasts the configured default (5 minutes); the engineer
        corrects the end when it took longer.
        """
        self.ensure_one()
        if message.message_type not in ("email", "comment") or message.subtype_id.internal:
            return
        if not message.subtype_id:
            return
        engineers = message.author_id.user_ids.filtered(
            lambda u: not u.share and u.has_group("miko_support_contract.group_engineer")
        )
        if not engineers:
            return
        engineer, kind = engineers[0], "email_out"
        recipients = message.partner_ids
        subject = "Исходящее письмо №{number} для {names}".format(
            number=message.id,
            names=", ".join(
                f"{partner.name} <{partner.email}>" if partner.email else partner.name
                for partner in recipients
            )
            or self.miko_contract_id.partner_id.name,
        )
        minutes = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(EMAIL_MINUTES_PARAM, DEFAULT_EMAIL_MINUTES)
        )
        start = message.date.replace(microsecond=0)
        self.env["miko.support.contract"].sudo().with_user(engineer).register_activities(
            [
                {
                    "contract": self.miko_contract_id.id,
                    "engineer": engineer.login,
                    "kind": kind,
                    "start": start.isoformat() + "+00:00",
                    "end": (start + timedelta(minutes=max(minutes, 1))).isoformat() + "+00:00",
                    "subject": subject[:512],
                    "description": message.subject or self.name or "",
                    "source": "email",
                    "source_ref": str(message.id),
                    "request": self.id,
                }
            ]
        )
