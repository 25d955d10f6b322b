"""Kontur.Diadoc HTTP API adapter (the subset the monthly UPD needs).

* ``POST /V3/Authenticate?type=password`` with ``Authorization: DiadocAuth
  ddauth_api_client_id=…`` and ``{"login", "password"}``: the token (plain text);
* ``GET /GetOrganization?fnsParticipantId=…``: the customer's box (``Boxes[0].BoxId``);
* ``POST /V3/PostMessage?operationId=<document GUID>``: the ``MessageToPost`` with one
  ``DocumentAttachment`` (``UniversalTransferDocument``, function ``ДОП``, version
  ``utd970_05_03_01``, ``SignedContent.Content`` = the XML, ``Signature`` = the detached signature
  made outside Odoo). Diadoc answers every repeated call with the same operation id with the result
  of the first successful one, so a retry after a 500 or a timeout never delivers a second
  document. Without a stored signature the message is posted as a draft (``IsDraft``) to be signed
  in Diadoc's web interface: signatures are never made up here. A draft is not sent: the UPD stays
  «sending» until the draft's message names the message it became
  (``DraftIsTransformedToMessageId``), which is then the UPD's message;
* the unilaterally signed copy of a UPD deemed accepted (contract 4.4) is posted the same way as a
  ``Nonformalized`` document (the PDF) with ``operationId`` = the GUID + ``-unilateral``, for the
  seller to sign in Diadoc's web interface like any draft;
* ``GET /V5/GetMessage?boxId=…&messageId=…``: the entities of the message. A
  ``DeliveryConfirmation`` entity of our document gives the delivery date; a
  ``UniversalTransferDocumentBuyerTitle`` (with its ``Signature`` entity) is the buyer's title;
  a ``SignatureRejection`` or ``InvoiceCorrectionRequest`` is a refusal or a clarification request.

Every request has a timeout; any failure raises, the UPD stays «sending» and the cron retries.
"""

import base64
from datetime import UTC, datetime, timedelta

import pytz
import requests

from ..rules.xml_safety import parse_xml_safely
from .provider import UpdProvider, register_provider

TIMEOUT = 30.0
TIMEOUT_PARAMETER = "miko_support_contract.diadoc_timeout"
DOCUMENT_TYPE = "UniversalTransferDocument"
DOCUMENT_FUNCTION = "ДОП"
DOCUMENT_VERSION = "utd970_05_03_01"
BUYER_TITLE = "UniversalTransferDocumentBuyerTitle"
NONFORMALIZED = "Nonformalized"
DELIVERY = "DeliveryConfirmation"
REFUSALS = {"SignatureRejection": "refusal", "InvoiceCorrectionRequest": "clarification"}
_TICKS_EPOCH = datetime(1, 1, 1, tzinfo=UTC)


class DiadocError(Exception):
    """The operator refused or failed a call."""


def ticks_to_datetime(ticks):
    """.NET ticks (100 ns since 0001-01-01 UTC) as an aware datetime."""
    return _TICKS_EPOCH + timedelta(microseconds=int(ticks) // 10)


@register_provider
class DiadocProvider(UpdProvider):
    code = "diadoc"

    def __init__(self, company):
        super().__init__(company)
        settings = company.sudo()
        self.base_url = (settings.miko_diadoc_url or "").rstrip("/")
        self.client_id = settings.miko_diadoc_client_id or ""
        self.login = settings.miko_diadoc_login or ""
        self.password = settings.miko_diadoc_password or ""
        self.box_id = settings.miko_diadoc_box_id or ""
        self.tz = pytz.timezone(settings.miko_support_tz or "Europe/Moscow")
        self._token = None
        self.timeout = float(
            company.env["ir.config_parameter"].sudo().get_param(TIMEOUT_PARAMETER) or TIMEOUT
        )

    # ------------------------------------------------------------------ HTTP
    def _auth_header(self):
        header = f"DiadocAuth ddauth_api_client_id={self.client_id}"
        if self._token:
            header += f",ddauth_token={self._token}"
        return header

    def _request(self, method, path, params=None, json=None):
        if not self.base_url:
            raise DiadocError("Diadoc API URL is not configured")
        response = requests.request(
            method,
            f"{self.base_url}{path}",
            params=params,
            json=json,
            headers={"Authorization": self._auth_header(), "Accept": "application/json"},
            timeout=self.timeout,
        )
        if response.status_code == 204:
            raise DiadocError(f"{path}: operation not finished yet, retry later")
        if response.status_code >= 300:
            raise DiadocError(f"{path}: HTTP {response.status_code} {response.text[:300]}")
        return response

    def _authenticate(self):
        if not self._token:
            response = self._request(
                "POST",
                "/V3/Authenticate",
                params={"type": "password"},
                json={"login": self.login, "password": self.password},
            )
            self._token = response.text.strip()
        return self._token

    def _customer_box(self, upd):
        edo_id = upd.partner_id.commercial_partner_id.miko_edo_id
        organization = self._request(
            "GET", "/GetOrganization", params={"fnsParticipantId": edo_id}
        ).json()
        boxes = organization.get("Boxes") or []
        if not boxes:
            raise DiadocError(f"no Diadoc box for participant {edo_id}")
        return boxes[0]["BoxId"]

    # ------------------------------------------------------------------ interface
    SETTINGS = (
        "miko_diadoc_url",
        "miko_diadoc_client_id",
        "miko_diadoc_login",
        "miko_diadoc_password",
        "miko_diadoc_box_id",
    )

    def missing_settings(self):
        settings = self.company.sudo()
        return [name for name in self.SETTINGS if not settings[name]]

    def send(self, upd):
        if upd.edi_message_id:
            return self._sent_draft(upd)
        self._authenticate()
        content = upd._xml_content()
        signature = upd.signature_attachment_id.sudo().raw if upd.signature_attachment_id else None
        signed_content = {"Content": base64.b64encode(content).decode()}
        if signature:
            signed_content["Signature"] = base64.b64encode(signature).decode()
        message = {
            "FromBoxId": self.box_id,
            "ToBoxId": self._customer_box(upd),
            "IsDraft": not signature,
            "DocumentAttachments": [
                {
                    "SignedContent": signed_content,
                    "TypeNamedId": DOCUMENT_TYPE,
                    "Function": DOCUMENT_FUNCTION,
                    "Version": DOCUMENT_VERSION,
                    "CustomDocumentId": upd.guid,
                    "Comment": upd.name,
                }
            ],
        }
        posted = self._request(
            "POST", "/V3/PostMessage", params={"operationId": upd.guid}, json=message
        ).json()
        entities = [
            entity
            for entity in posted.get("Entities") or []
            if entity.get("AttachmentType") == DOCUMENT_TYPE
        ]
        upd.sudo().write(
            {
                "edi_message_id": posted.get("MessageId"),
                "edi_entity_id": entities[0].get("EntityId") if entities else False,
            }
        )
        return not posted.get("IsDraft")

    def send_unilateral_copy(self, upd, attachment):
        self._authenticate()
        message = {
            "FromBoxId": self.box_id,
            "ToBoxId": self._customer_box(upd),
            "IsDraft": True,
            "DocumentAttachments": [
                {
                    "SignedContent": {"Content": base64.b64encode(attachment.raw).decode()},
                    "TypeNamedId": NONFORMALIZED,
                    "Metadata": [{"Key": "FileName", "Value": attachment.name}],
                    "CustomDocumentId": f"{upd.guid}-unilateral",
                    "Comment": upd.name,
                }
            ],
        }
        posted = self._request(
            "POST",
            "/V3/PostMessage",
            params={"operationId": f"{upd.guid}-unilateral"},
            json=message,
        ).json()
        return posted.get("MessageId")

    def _sent_draft(self, upd):
        """``True`` when the UPD's message is sent: not a draft, or a draft sent since (the UPD
        then follows the message the draft became)."""
        message = self._message(upd)
        if not message.get("IsDraft"):
            return True
        sent_id = message.get("DraftIsTransformedToMessageId")
        if not sent_id:
            return False
        upd.sudo().edi_message_id = sent_id
        entities = [
            entity
            for entity in self._message(upd).get("Entities") or []
            if entity.get("AttachmentType") == DOCUMENT_TYPE
        ]
        upd.sudo().edi_entity_id = entities[0].get("EntityId") if entities else False
        return True

    def _message(self, upd):
        self._authenticate()
        return self._request(
            "GET",
            "/V5/GetMessage",
            params={"boxId": self.box_id, "messageId": upd.edi_message_id},
        ).json()

    def _children(self, message, parent_id):
        return [
            entity
            for entity in message.get("Entities") or []
            if entity.get("ParentEntityId") == parent_id
        ]

    def poll(self, upd):
        if not upd.edi_message_id:
            return {"delivered_on": None, "answer": False}
        children = self._children(self._message(upd), upd.edi_entity_id)
        delivered_on = None
        answer = False
        for entity in children:
            kind = entity.get("AttachmentType")
            if kind == DELIVERY and entity.get("RawCreationDate"):
                moment = ticks_to_datetime(entity["RawCreationDate"]).astimezone(self.tz)
                # repeated or out-of-order receipts: the first delivery is the delivery
                delivered_on = min(filter(None, (delivered_on, moment.date())))
            elif kind == BUYER_TITLE or kind in REFUSALS:
                answer = True
        return {"delivered_on": delivered_on, "answer": answer}

    def fetch_answer(self, upd):
        message = self._message(upd)
        for entity in self._children(message, upd.edi_entity_id):
            kind = entity.get("AttachmentType")
            data = base64.b64decode((entity.get("Content") or {}).get("Data") or "")
            if kind == BUYER_TITLE:
                signatures = [
                    child
                    for child in self._children(message, entity.get("EntityId"))
                    if child.get("EntityType") == "Signature"
                ]
                signature = (
                    base64.b64decode(signatures[0]["Content"]["Data"]) if signatures else None
                )
                return {
                    "kind": "title",
                    "content": data,
                    "file_name": entity.get("FileName"),
                    "signature": signature,
                }
            if kind in REFUSALS:
                return {"kind": REFUSALS[kind], "reason": _refusal_text(data)}
        return None


def _refusal_text(data):
    """The reason of a refusal/clarification notice: its text element or the raw text."""
    try:
        root = parse_xml_safely(data)
    except Exception:
        return data.decode("utf-8", errors="replace").strip()
    for element in root.iter():
        for name in ("ТекстУведУточ", "ТекстОтказа", "Текст"):
            value = element.get(name) if element.tag != name else element.text
            if value:
                return value.strip()
    return data.decode("cp1251", errors="replace").strip()
