"""A large capture upload goes through an import job: batches committed one by one with their
progress, the result of an immediate import, a failed batch resumed without duplicates, and
who sees which job. The large files are real samples (``tests/data/README.md``) repeated, each
copy moved whole days later (its times and uniqueids), byte for byte otherwise."""

import base64
import pathlib
import re
import tempfile
from datetime import datetime, timedelta
from unittest.mock import patch

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from ..models.support_capture_job import BATCH_ROWS_PARAM, JOB_ROWS_PARAM
from . import fake_capture
from .common import MikoSupportCommon
from .test_rules_capture_real import freepbx_export

DATA = pathlib.Path(__file__).parent / "data"
SAMPLE = "asterisk_master_21col_utc.csv"  # 84 lines: per copy 1 created, 21 to assign, 62 skipped
STAMP = re.compile(rb"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
UNIQUEID = re.compile(rb'(?<=["-])(\d{10})(?=\.)')  # "1706368044.0", "mainserverdss-1706420300.0"


def moved(line, days):
    """A call record line moved ``days`` later: its times and the epoch of its uniqueids."""

    def stamp(match):
        moment = datetime.strptime(match.group().decode(), "%Y-%m-%d %H:%M:%S")
        return (moment + timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S").encode()

    line = STAMP.sub(stamp, line)
    return UNIQUEID.sub(lambda m: b"%d" % (int(m.group(1)) + days * 86400), line)


def repeated(sample, copies):
    lines = (DATA / sample).read_bytes().splitlines(keepends=True)
    return b"".join(moved(line, copy) for copy in range(copies) for line in lines)


def decoded(line):
    """A line as the PBX parser reads it (UTF-8, else Windows-1251)."""
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("cp1251")


class _Rollback(Exception):
    pass


@tagged("post_install", "-at_install")
class TestCaptureJob(MikoSupportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls.create_contract()
        cls.engineer.miko_pbx_extension = "301"
        cls.customer.phone = "+7 902 534-87-83"
        # the jobs run in their uploader's language: English, as the immediate imports compared
        cls.manager = cls.new_user(
            "miko_job_manager", "miko_support_contract.group_manager", lang="en_US"
        )
        cls.Activity = cls.env["miko.support.activity"]
        cls.Job = cls.env["miko.support.capture.job"]
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param(JOB_ROWS_PARAM, 200)
        params.set_param(BATCH_ROWS_PARAM, 150)

    def setUp(self):
        super().setUp()
        Unmatched = self.env["miko.support.activity.unmatched"]
        self.before = (
            self.Activity.with_context(active_test=False).search([], order="id desc", limit=1).id
            or 0,
            Unmatched.search([], order="id desc", limit=1).id or 0,
        )

    def snapshot(self):
        """The activities and the calls to assign imported by the test."""
        activities = self.Activity.with_context(active_test=False).search(
            [("id", ">", self.before[0])]
        )
        unmatched = self.env["miko.support.activity.unmatched"].search(
            [("id", ">", self.before[1])]
        )
        return (
            sorted(
                (a.source_ref, a.part, a.date_begin, a.date_end, a.user_id.id, a.contract_id.id)
                for a in activities
            ),
            sorted(unmatched.mapped("source_ref")),
        )

    def immediate(self, run):
        """What ``run()`` imports at once, and the records it writes; all rolled back."""
        try:
            with self.env.cr.savepoint():
                result = run()
                self.env.flush_all()
                written = self.snapshot()
                raise _Rollback
        except _Rollback:
            self.env.invalidate_all()
        self.assertEqual(self.snapshot(), ([], []))
        return result, written

    def upload(self, data, filename, **values):
        wizard = (
            self.env["miko.support.activity.import.wizard"]
            .with_user(self.manager)
            .create({"file": base64.b64encode(data), "filename": filename, **values})
        )
        wizard.action_import()
        self.assertEqual(wizard.state, "queued")
        return wizard, wizard.job_id.with_user(self.manager)

    def run_by_batch(self, job):
        progress = []
        while job.state != "done":
            self.assertLess(len(progress), 50, job.failure)
            job._run(max_batches=1)
            progress.append(job.progress)
        return progress

    def assertSameResult(self, job, result):
        self.assertEqual(
            (
                job.created_count,
                job.updated_count,
                job.skipped_count,
                job.unmatched_count,
                job.refused_count,
            ),
            (
                result["created"],
                result["updated"],
                result["skipped"],
                result["unmatched"],
                len(result["errors"]),
            ),
        )
        self.assertEqual(job.skip_reasons, result["skip_reasons"])

    def test_large_file_is_imported_in_batches_like_an_immediate_import(self):
        data = repeated(SAMPLE, 10)  # 840 lines
        result, written = self.immediate(lambda: self.Activity.import_pbx_cdr(data))
        self.assertEqual((result["created"], result["unmatched"]), (10, 210))

        wizard, job = self.upload(data, "Master.csv", source="pbx")
        # nothing imported in the request: the file waits in the job
        self.assertEqual((job.state, job.rows_total, job.rows_done), ("queued", 840, 0))
        self.assertEqual(self.snapshot(), ([], []))
        self.assertEqual(job.attachment_id.raw, data)
        self.assertEqual(wizard.job_progress, 0.0)

        progress = self.run_by_batch(job)
        # 840 rows in batches of 150: 6 batches, each committed with its progress
        self.assertEqual([round(p, 1) for p in progress], [17.9, 35.7, 53.6, 71.4, 89.3, 100.0])
        self.assertEqual((job.rows_done, job.state), (840, "done"))
        self.assertSameResult(job, result)
        self.assertEqual(self.snapshot(), written)
        self.assertEqual(
            job.detected_text,
            "Time zone UTC+00:00 detected from the call identifiers; layout cdr_csv_21.",
        )
        # the uploader is told: the summary on the job, notified to the uploader
        message = job.message_ids.filtered(lambda m: "finished" in (m.body or ""))
        self.assertEqual(len(message), 1)
        self.assertIn("created 10", message.body)
        self.assertEqual(message.partner_ids, self.manager.partner_id)
        self.assertEqual(message.notification_ids.res_partner_id, self.manager.partner_id)
        wizard.action_refresh()  # the wizard's Refresh button
        wizard.invalidate_recordset()
        self.assertEqual((wizard.job_state, wizard.job_progress), ("done", 100.0))

    def test_small_file_is_still_imported_at_once(self):
        data = (DATA / SAMPLE).read_bytes()  # 84 rows, under the 200 rows of the setting
        wizard = (
            self.env["miko.support.activity.import.wizard"]
            .with_user(self.manager)
            .create({"file": base64.b64encode(data), "filename": "Master.csv", "source": "pbx"})
        )
        wizard.action_import()
        self.assertEqual((wizard.state, wizard.created_count, wizard.job_id.id), ("done", 1, False))
        self.assertFalse(self.Job.search([]))

    def test_freepbx_export_through_a_source_repeats_its_header_and_posts_the_summary(self):
        lines = [decoded(line) for line in repeated(SAMPLE, 4).splitlines()]
        data = freepbx_export(lines).encode()  # its header, then 336 records
        source = self.env["miko.support.capture.source"].create(
            {"name": "FreePBX office", "kind": "freepbx_csv", "tz": "UTC"}
        )
        result, written = self.immediate(lambda: source._import_file(data))
        self.assertEqual(result["skip_reasons"]["Header line."], 1)

        _wizard, job = self.upload(data, "cdr.csv", capture_source_id=source.id)
        self.assertEqual(job.capture_source_id, source)
        progress = self.run_by_batch(job)
        self.assertEqual(len(progress), 3)  # 336 rows in batches of 150
        self.assertEqual(job.rows_total, 336)
        self.assertSameResult(job, result)  # the header counted once
        self.assertEqual(self.snapshot(), written)
        self.assertIn(
            f"Created {result['created']}, updated 0, skipped {result['skipped']}",
            source.message_ids[0].body,
        )
        self.assertIn(f"Created {result['created']}", source.last_result)

    def test_failed_batch_leaves_earlier_batches_and_the_job_resumes_without_duplicates(self):
        data = repeated(SAMPLE, 10)
        result, written = self.immediate(lambda: self.Activity.import_pbx_cdr(data))
        _wizard, job = self.upload(data, "Master.csv", source="pbx")

        Model = type(self.Activity)
        original = Model.import_pbx_cdr
        calls = []

        def import_then_crash(model, payload, pbx_tz=None):
            calls.append(payload)
            outcome = original(model, payload, pbx_tz=pbx_tz)
            if len(calls) == 3:  # the third batch writes its records, then fails
                raise ConnectionResetError("connection to the file store lost")
            return outcome

        with patch.object(Model, "import_pbx_cdr", import_then_crash):
            job._run()
        self.assertEqual(len(calls), 3)
        self.assertEqual(job.state, "failed")
        self.assertEqual(job.failure, "ConnectionResetError: connection to the file store lost")
        # the first two batches stay (300 rows: 3 copies and a half), the third left nothing
        self.assertEqual((job.rows_done, round(job.progress, 1)), (300, 35.7))
        activities, unmatched = self.snapshot()
        self.assertEqual(len(activities), job.created_count)
        self.assertEqual(activities, written[0][: len(activities)])
        self.assertEqual(len(unmatched), job.unmatched_count)
        self.assertTrue(job.message_ids.filtered(lambda m: "stopped after 300" in (m.body or "")))

        job.action_retry()
        self.assertEqual(job.state, "queued")
        self.Job._cron_run_jobs()
        self.assertEqual(job.state, "done")
        self.assertSameResult(job, result)
        activities, unmatched = self.snapshot()
        self.assertEqual((activities, unmatched), written)
        self.assertEqual(len({a[:2] for a in activities}), len(activities))

    def test_a_job_a_crash_left_running_is_finished_by_the_next_cron_run(self):
        data = repeated(SAMPLE, 10)
        result, written = self.immediate(lambda: self.Activity.import_pbx_cdr(data))
        _wizard, job = self.upload(data, "Master.csv", source="pbx")
        job._run(max_batches=2)
        self.assertEqual((job.state, job.rows_done), ("running", 300))
        # the worker is killed here: the job stays «running» with its two batches committed
        self.Job._cron_run_jobs()
        self.assertEqual(job.state, "done")
        self.assertSameResult(job, result)
        self.assertEqual(self.snapshot(), written)

    def test_engineer_sees_own_jobs_manager_all_other_company_none(self):
        data = b"x\n"
        mine = self.Job.with_user(self.manager)._create_for_upload(data, "a.csv", "pbx", 1)
        engineers = self.Job.create(
            {"name": "b.csv", "file_kind": "pbx", "user_id": self.engineer.id, "rows_total": 1}
        )
        other_company = self.setup_other_company()["company"]
        elsewhere = self.Job.create(
            {
                "name": "c.csv",
                "file_kind": "pbx",
                "user_id": self.manager.id,
                "company_id": other_company.id,
            }
        )
        Job = self.Job.with_user(self.engineer)
        self.assertEqual(Job.search([]), engineers)
        with self.assertRaises(AccessError):
            mine.with_user(self.engineer).read(["name"])
        with self.assertRaises(AccessError):
            engineers.with_user(self.engineer).write({"state": "done"})
        self.assertFalse(self.Job.with_user(self.finance).search([]))
        self.assertEqual(self.Job.with_user(self.manager).search([]), mine | engineers)
        self.assertFalse(self.Job.with_user(self.manager).search([("id", "=", elsewhere.id)]))
        attachment = mine.attachment_id
        self.assertTrue(attachment)
        mine.unlink()  # the uploaded file (attached to the job) goes with it
        self.assertFalse(attachment.exists())

    def test_mikopbx_cdr_db_is_imported_by_whole_calls(self):
        self.engineer.miko_pbx_extension = "201"
        self.customer.phone = "+7 900 123-45-67"
        self.env["ir.config_parameter"].sudo().set_param(JOB_ROWS_PARAM, 10)
        self.env["ir.config_parameter"].sudo().set_param(BATCH_ROWS_PARAM, 4)
        source = self.env["miko.support.capture.source"].create(
            {"name": "old MikoPBX", "kind": "mikopbx_sqlite", "tz": "Europe/Moscow"}
        )
        with tempfile.TemporaryDirectory() as folder:
            data = fake_capture.mikopbx_cdr_db(f"{folder}/cdr.db")  # MikoPBX's own fixture
        result, written = self.immediate(lambda: source._import_file(data))
        self.assertEqual((result["created"], result["unmatched"]), (2, 19))

        _wizard, job = self.upload(data, "cdr.db", capture_source_id=source.id)
        self.assertEqual(job.file_kind, "mikopbx_sqlite")
        progress = self.run_by_batch(job)
        self.assertGreater(len(progress), 3)
        self.assertEqual(progress, sorted(progress))
        self.assertSameResult(job, result)
        # the call transferred 201 → 202 → 203 (one linkedid) was read whole, in one batch
        self.assertEqual(self.snapshot(), written)
        self.assertTrue(source.last_result.startswith("Created 2"))

    def test_teamviewer_report_batches_keep_its_header_and_line_numbers(self):
        self.engineer.miko_teamviewer_ref = "Ivan Petrov"
        self.env["miko.support.remote.device"].create(
            {"name": "ACC-PC-01", "device_ref": "264488246", "contract_id": self.contract.id}
        )
        self.env["ir.config_parameter"].sudo().set_param(JOB_ROWS_PARAM, 2)
        self.env["ir.config_parameter"].sudo().set_param(BATCH_ROWS_PARAM, 2)
        data = (DATA / "teamviewer_connections.csv").read_bytes()  # the project's own sample
        result, written = self.immediate(
            lambda: self.Activity.import_teamviewer_report(data, tz="Europe/Moscow")
        )
        self.assertEqual(result["created"], 1)
        self.assertEqual([error["line"] for error in result["errors"]], [4])

        _wizard, job = self.upload(data, "report.csv", source="teamviewer_csv", tz="Europe/Moscow")
        self.assertEqual(len(self.run_by_batch(job)), 3)  # 5 records after the header, by 2
        self.assertEqual(job.rows_total, 5)
        self.assertSameResult(job, result)
        self.assertEqual(self.snapshot(), written)
        self.assertTrue(job.error_text.startswith("Line 4: "))

    def test_rows_setting_decides_between_at_once_and_a_job(self):
        # the defaults the code uses, until the test's own values set in setUpClass
        self.env["ir.config_parameter"].sudo().search(
            [("key", "in", (JOB_ROWS_PARAM, BATCH_ROWS_PARAM))]
        ).unlink()
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(
            (settings.miko_import_job_rows, settings.miko_import_job_batch_rows), (5000, 1000)
        )
        self.assertEqual((self.Job._job_rows(), self.Job._batch_rows()), (5000, 1000))
        settings.write({"miko_import_job_rows": 80, "miko_import_job_batch_rows": 40})
        settings.execute()
        self.assertEqual((self.Job._job_rows(), self.Job._batch_rows()), (80, 40))
        _wizard, job = self.upload((DATA / SAMPLE).read_bytes(), "Master.csv", source="pbx")
        self.assertEqual(len(self.run_by_batch(job)), 3)  # 84 rows > 80, by 40
        with self.assertRaises(ValidationError):
            self.env["res.config.settings"].create({"miko_import_job_batch_rows": 0})


@tagged("post_install", "-at_install")
class TestCaptureJobRussian(MikoSupportCommon):
    def test_job_speaks_the_uploaders_language(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        self.create_contract()
        manager = self.new_user("miko_job_manager_ru", "miko_support_contract.group_manager")
        manager.lang = "ru_RU"
        self.env["ir.config_parameter"].sudo().set_param(JOB_ROWS_PARAM, 50)
        data = (DATA / SAMPLE).read_bytes()
        job = (
            self.env["miko.support.activity.import.wizard"]
            .with_user(manager)
            .create({"file": base64.b64encode(data), "filename": "Master.csv", "source": "pbx"})
        )
        job.action_import()
        job = job.job_id
        self.env["miko.support.capture.job"]._cron_run_jobs()
        self.assertEqual(job.state, "done")
        self.assertIn("Загрузка Master.csv завершена: строк 84, создано 0", job.message_ids[0].body)
        Job = self.env["miko.support.capture.job"].with_context(lang="ru_RU")
        self.assertEqual(Job._fields["progress"].get_description(Job.env)["string"], "Ход загрузки")
        states = dict(Job._fields["state"]._description_selection(Job.env))
        self.assertEqual(states["queued"], "В очереди")
