"""The UPD's documents: the values and the file of the seller's title (5.03 XML, built and
checked by the ``upd`` package), and the helpers of the printed form and of the Russian Post
list (form 103).

``miko.support.upd.document`` (no table) is a service: its methods take the UPD records they
work on. The QWeb form (``reports/report_upd.xml``) calls :meth:`_print_number` and
:meth:`_partner_address` through it.
"""

import csv
import io
from datetime import UTC
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import formatLang

from .. import upd as upd_xml
from ..rules import RuleError, money
from ..rules.source_files import csv_safe_cell


class SupportUpdDocument(models.AbstractModel):
    """Seller's title (XML) and printed form of the UPD (service)."""

    _name = "miko.support.upd.document"
    _description = "UPD Documents"

    # ------------------------------------------------------------------------------------------
    # Seller's title: values and file
    # ------------------------------------------------------------------------------------------
    @api.model
    def _upd_party(self, upd, partner, owner):
        """The seller or buyer of the title; a clear error names what ``partner`` misses."""
        partner = partner.commercial_partner_id
        address = self._partner_address(partner)
        missing = [
            label
            for label, value in (
                (self.env._("INN"), partner.vat),
                (self.env._("Address"), address),
            )
            if not value
        ]
        if missing:
            raise UserError(
                self.env._(
                    "UPD %(upd)s cannot be generated: %(owner)s %(partner)s has no %(fields)s.",
                    upd=upd.display_name,
                    owner=owner,
                    partner=partner.display_name,
                    fields=", ".join(missing),
                )
            )
        is_entrepreneur = len(partner.vat or "") == 12
        name_parts = (partner.name or "").split()
        return upd_xml.UpdParty(
            name=partner.name,
            inn=partner.vat,
            kpp=partner.miko_kpp or None,
            ogrn=partner.miko_ogrn or None,
            address=address,
            edo_id=partner.miko_edo_id or None,
            is_individual_entrepreneur=is_entrepreneur,
            last_name=name_parts[-3] if is_entrepreneur and len(name_parts) >= 3 else None,
            first_name=name_parts[-2] if is_entrepreneur and len(name_parts) >= 3 else None,
            middle_name=name_parts[-1] if is_entrepreneur and len(name_parts) >= 3 else None,
        )

    @api.model
    def _upd_signer(self, upd):
        """The company's director, who signs the seller's title."""
        company = upd.company_id
        director = company.miko_director_id
        if not director:
            raise UserError(
                self.env._(
                    "UPD %(upd)s cannot be generated: company %(company)s has no director to "
                    "sign it (Settings / Support Contracts).",
                    upd=upd.display_name,
                    company=company.display_name,
                )
            )
        parts = (director.name or "").split()
        if len(parts) < 2 or not director.function:
            raise UserError(
                self.env._(
                    "UPD %(upd)s cannot be generated: the director %(director)s needs a last and "
                    "first name and a job position.",
                    upd=upd.display_name,
                    director=director.display_name,
                )
            )
        return upd_xml.UpdSigner(
            last_name=parts[0],
            first_name=parts[1],
            middle_name=" ".join(parts[2:]) or None,
            position=director.function,
            org_inn=company.vat or None,
        )

    @api.model
    def _upd_document(self, upd):
        """The plain values of the seller's title (the ``upd`` package)."""
        upd.ensure_one()
        contract = upd.contract_id.sudo()
        seller = self._upd_party(upd, upd.company_id.partner_id, self.env._("seller"))
        buyer = self._upd_party(upd, contract.partner_id, self.env._("customer"))
        line = upd_xml.UpdLine(
            number=1,
            name=upd.line_name,
            okei_code=upd.line_okei,
            unit_name=upd.line_unit,
            quantity=Decimal(upd.line_quantity),
            price=Decimal(upd.line_price),
            amount=money.to_decimal(upd.amount_total),
        )
        zone = upd.company_id._miko_support_zone()
        now = fields.Datetime.now().replace(tzinfo=UTC)
        formed_at = now.astimezone(zone).replace(tzinfo=None)
        return upd_xml.UpdDocument(
            guid=upd.guid,
            number=upd.name,
            date=upd.date,
            formed_at=formed_at,
            seller=seller,
            buyer=buyer,
            signer=self._upd_signer(upd),
            lines=(line,),
            total=line.amount,
            period_start=upd.period_start,
            period_end=upd.period_end,
            contract_number=contract.name,
            contract_date=contract.date_start or upd.period_start,
            # the edition the customer accepted by paying (a UPD always follows a payment)
            contract_name=contract.offer_edition_id.basis_label()
            if contract.offer_edition_id
            else upd_xml.DEFAULT_CONTRACT_NAME,
        )

    @api.model
    def _attach_xml(self, upd):
        """Check, build, validate and store the XML; a clear error names what is missing."""
        upd.ensure_one()
        content, name = self._checked_xml(upd)
        if content is None:
            return self.env["ir.attachment"]
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": name,
                    "raw": content,
                    "mimetype": "application/xml",
                    "res_model": upd._name,
                    "res_id": upd.id,
                }
            )
        )
        upd.sudo().xml_attachment_id = attachment
        return attachment

    @api.model
    def _attach_xml_batch(self, upds):
        """:meth:`_attach_xml` of many UPDs, their attachments created together."""
        vals_list, owners = [], []
        for upd in upds:
            content, name = self._checked_xml(upd)
            if content is None:
                continue
            vals_list.append(
                {
                    "name": name,
                    "raw": content,
                    "mimetype": "application/xml",
                    "res_model": upds._name,
                    "res_id": upd.id,
                }
            )
            owners.append(upd)
        attachments = self.env["ir.attachment"].sudo().create(vals_list)
        for upd, attachment in zip(owners, attachments, strict=True):
            upd.sudo().xml_attachment_id = attachment

    @api.model
    def _checked_xml(self, upd):
        """``(content, file name)`` of the checked and validated XML; ``(None, None)`` for a
        paper UPD of a buyer without an EDO id. A refused document raises a ``UserError``."""
        upd.ensure_one()
        document = self._upd_document(upd)
        if not document.buyer.edo_id and upd.channel == "post":
            return None, None
        try:
            upd_xml.check_document(document)
            content = upd_xml.build_xml(document)
            upd_xml.validate_xml(content, upd.company_id.miko_upd_xsd_path or None)
            upd_xml.check_schematron_rules(content, file_name=upd_xml.file_id(document))
        except RuleError as error:
            raise UserError(
                self.env._(
                    "UPD %(upd)s for %(partner)s cannot be generated: %(reason)s",
                    upd=upd.name,
                    partner=upd.partner_id.display_name,
                    reason=self.env._(error.message),  # pylint: disable=translation-not-lazy
                )
            ) from error
        return content, upd_xml.file_name(document)

    # ------------------------------------------------------------------------------------------
    # Printed form and Russian Post list
    # ------------------------------------------------------------------------------------------
    @api.model
    def _print_number(self, upd, value, digits=2):
        """A number of the printed form in its reader's (the buyer's) format: «3 666,67» in
        Russian; ``digits=None`` prints the places the value needs (minutes: «110»)."""
        upd.ensure_one()
        value = Decimal(str(value or 0))
        if digits is None:
            digits = money.significant_places(value)
        env = self.with_context(lang=upd.partner_id.lang or "ru_RU").env
        return formatLang(env, float(value), digits=digits)

    @api.model
    def _partner_address(self, partner):
        """One-line address of the UPD (postal address when given, else the legal one)."""
        partner = partner.commercial_partner_id
        if partner.miko_postal_address:
            return " ".join(partner.miko_postal_address.split())
        parts = (partner.zip, partner.state_id.name, partner.city, partner.street, partner.street2)
        return ", ".join(part for part in parts if part)

    @api.model
    def _form103_csv(self, upds):
        """Russian Post list of registered mail (form 103 columns), windows-1251, «;»."""
        for upd in upds:
            if upd.channel != "post" or not upd.tracking_number:
                raise UserError(
                    self.env._(
                        "UPD %(upd)s is not a paper UPD with a tracking number.",
                        upd=upd.display_name,
                    )
                )
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow(
            [
                "№ п/п",
                "ШПИ",
                "Адресат",
                "Почтовый индекс",
                "Адрес",
                "Вес, кг",
                "Объявленная ценность, руб.",
                "Сумма наложенного платежа, руб.",
                "Примечание",
            ]
        )
        for number, upd in enumerate(upds.sorted("tracking_number"), start=1):
            partner = upd.partner_id.commercial_partner_id
            address = self._partner_address(partner)
            writer.writerow(
                [
                    csv_safe_cell(value)
                    for value in (
                        number,
                        upd.tracking_number,
                        partner.name or "",
                        partner.zip or "",
                        " ".join(address.split()),
                        "0.02",
                        "0",
                        "0",
                        f"УПД {upd.name}",
                    )
                ]
            )
        return buffer.getvalue().encode("cp1251", errors="replace")
