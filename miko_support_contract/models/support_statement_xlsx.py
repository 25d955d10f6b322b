"""The XLSX layout of a statement of account (Appendix 2): one row per activity, a total row per
day, the engineers' work descriptions and the closing block; the numbers are the statement's."""

import io
from datetime import datetime

import xlsxwriter

from odoo import fields

from ..rules import spreadsheet
from ..rules.source_files import csv_safe_cell


def statement_workbook(env, statement, currency_symbol):
    """The XLSX workbook (bytes) of a statement built by ``miko.support.statement``, its texts in
    the language of ``env``."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = workbook.add_worksheet(env._("Statement"))
    bold = workbook.add_format({"bold": True})
    money_format = workbook.add_format({"num_format": "#,##0.00"})
    day_format = workbook.add_format({"bold": True, "bg_color": "#EEEEEE"})
    lang = env["res.lang"]._get_data(code=env.lang or "en_US")
    date_pattern = spreadsheet.excel_date_format(lang.date_format or "%Y-%m-%d")
    time_pattern = spreadsheet.excel_date_format(lang.time_format or "%H:%M:%S")
    date_cell = workbook.add_format({"num_format": date_pattern})
    day_date_cell = workbook.add_format(
        {"num_format": date_pattern, "bold": True, "bg_color": "#EEEEEE"}
    )
    day_money_format = workbook.add_format(
        {"num_format": "#,##0.00", "bold": True, "bg_color": "#EEEEEE"}
    )
    moment_cell = workbook.add_format({"num_format": f"{date_pattern} {time_pattern}"})
    labels = statement["labels"]
    row = 0
    sheet.write_string(row, 0, labels["appendix"])
    row += 1
    sheet.write_string(row, 0, labels["title"], bold)
    row += 1
    for label, party in ((labels["vendor"], "vendor"), (labels["customer"], "customer")):
        sheet.write_string(row, 0, label, bold)
        sheet.write_string(row, 1, csv_safe_cell(statement[party]))
        row += 1
    sheet.write_string(row, 0, labels["period"])
    row += 2
    headers = [
        labels["date"],
        labels["subject"],
        labels["start"],
        labels["end"],
        labels["minutes"],
        labels["engineer"],
        env._("Organisation"),
        labels["description"],
        env._("Block"),
        env._("Block billed minutes"),
        env._("Charged"),
        env._("Amount, %(currency)s", currency=currency_symbol),
    ]
    for column, header in enumerate(headers):
        sheet.write_string(row, column, header, bold)
    row += 1
    for day in statement["days"]:
        day_date = fields.Date.to_date(day["date"])
        for line in day["lines"]:
            sheet.write_datetime(row, 0, day_date, date_cell)
            sheet.write_string(row, 1, csv_safe_cell(line["subject"]))
            for column, key in ((2, "start"), (3, "end")):
                if line[key]:
                    sheet.write_datetime(
                        row, column, datetime.fromisoformat(line[key]), moment_cell
                    )
            sheet.write_number(row, 4, line["minutes"])
            sheet.write_string(row, 5, csv_safe_cell(line["engineer"]))
            sheet.write_string(row, 6, csv_safe_cell(line["engineer_organisation"]))
            sheet.write_string(row, 7, csv_safe_cell(line["description"]))
            if line["block"]:
                sheet.write_number(row, 8, line["block"])
            sheet.write_number(row, 9, line["block_billed_minutes"])
            sheet.write_string(
                row, 10, env._("yes") if line["charged"] else env._("no (vendor bug)")
            )
            row += 1
        sheet.write_datetime(row, 0, day_date, day_date_cell)
        sheet.write_string(row, 1, labels["day_total"], day_format)
        sheet.write_number(row, 4, day["billed_minutes"], day_format)
        sheet.write_number(row, 11, day["amount"], day_money_format)
        row += 1
        for work in day["work_descriptions"]:
            sheet.write_string(row, 1, labels["work"])
            sheet.write_string(row, 5, csv_safe_cell(work["engineer"]))
            sheet.write_string(row, 7, csv_safe_cell(work["description"]))
            row += 1
    row += 1
    for closing in statement["closing"]:
        sheet.write_string(row, 1, csv_safe_cell(closing["label"]), bold)
        sheet.write_number(row, 11, closing["amount"], money_format)
        row += 1
    sheet.set_column(0, 0, 12)
    sheet.set_column(1, 1, 45)
    sheet.set_column(2, 3, 20)
    sheet.set_column(7, 7, 60)
    sheet.set_column(11, 11, 14)
    workbook.close()
    return buffer.getvalue()
