"""The billing's day lines are timesheets like any other: with ``sale_timesheet`` installed (as
``./miko test`` does), a contract whose project is billed on a sale order line gets day lines with
their cost and their sale order line, and the line's delivered hours follow them."""

from datetime import date, datetime

from odoo.tests import tagged

from .common import MikoSupportCommon

MSK = "+03:00"


@tagged("post_install", "-at_install")
class TestBillingSaleTimesheet(MikoSupportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "so_line" not in cls.env["account.analytic.line"]._fields:
            cls.skipTest(cls, "sale_timesheet is not installed in this database")
        cls.contract = cls.create_contract()
        cls.Contract = cls.env["miko.support.contract"]
        cls.employee = cls.env(su=True)["hr.employee"].create(
            {
                "name": cls.engineer.name,
                "user_id": cls.engineer.id,
                "company_id": cls.company.id,
                "hourly_cost": 900.0,
            }
        )
        product = cls.env(su=True)["product.product"].create(
            {
                "name": "Техническая поддержка (часы)",
                "type": "service",
                "list_price": 1700.0,
                "service_policy": "delivered_timesheet",
                "uom_id": cls.env.ref("uom.product_uom_hour").id,
            }
        )
        cls.order = cls.env(su=True)["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "company_id": cls.company.id,
                "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 10})],
            }
        )
        cls.order.action_confirm()
        cls.sale_line = cls.order.order_line
        # the contract's timesheet project is billed on the order line
        project = cls.contract._ensure_timesheet_projects()
        project.sudo().write({"allow_billable": True, "sale_line_id": cls.sale_line.id})

    def test_day_lines_carry_cost_and_sale_line(self):
        def record(ref, start, end):
            return {
                "contract": self.contract.name,
                "engineer": self.engineer.login,
                "kind": "remote",
                "start": f"{start}{MSK}",
                "end": f"{end}{MSK}",
                "subject": ref,
                "description": "",
                "source": "so",
                "source_ref": ref,
            }

        result = self.Contract.register_activities(
            [
                record("s1", "2026-11-23T10:00:00", "2026-11-23T11:00:00"),
                record("s2", "2026-11-23T10:30:00", "2026-11-23T11:30:00"),  # overlaps s1
                record("s3", "2026-11-24T09:00:00", "2026-11-24T09:45:00"),
            ]
        )
        self.assertFalse(result["errors"])
        self.Contract.post_consumption()
        lines = self.env["account.analytic.line"].search(
            [("miko_contract_id", "=", self.contract.id)], order="date"
        )
        self.assertEqual(
            [(ln.date, ln.miko_billed_minutes, ln.unit_amount, ln.amount) for ln in lines],
            [(date(2026, 11, 23), 90, 1.5, -1350.0), (date(2026, 11, 24), 45, 0.75, -675.0)],
        )
        self.assertEqual(lines.so_line, self.sale_line)
        self.assertEqual(set(lines.mapped("timesheet_invoice_type")), {"billable_time"})
        self.assertEqual(lines.employee_id, self.employee)
        self.assertAlmostEqual(self.sale_line.qty_delivered, 2.25)
        # sale_timesheet narrows the invoicing users' rule to analytic lines without project:
        # the back office still reads every engineer's support day lines
        for user in (self.sales, self.finance):
            self.assertEqual(
                self.env["account.analytic.line"]
                .with_user(user)
                .search([("miko_contract_id", "=", self.contract.id)]),
                lines,
            )
        # an edit: the billing run's write moves the cost and the delivered hours too
        activity = self.env["miko.support.activity"].search([("source_ref", "=", "s3")])
        activity.write({"date_end": datetime(2026, 11, 24, 7, 0)})  # 10:00 Moscow
        lines.invalidate_recordset()
        self.assertEqual((lines[1].unit_amount, lines[1].amount), (1.0, -900.0))
        self.assertEqual(lines[1].so_line, self.sale_line)
        self.sale_line.invalidate_recordset(["qty_delivered"])
        self.assertAlmostEqual(self.sale_line.qty_delivered, 2.5)
        # the wallet is charged as without sale_timesheet: 150 min at 1,700 RUB/h
        self.Contract.post_consumption()
        self.assertAlmostEqual(sum(self.contract.entry_ids.mapped("amount")), -4250.0)
        self.assertEqual([line.miko_wallet_entry_id.minutes for line in lines], [90, 15])
