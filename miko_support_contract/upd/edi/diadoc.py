"""Kontur.Diadoc HTTP API adapter (the subset the monthly UPD needs), on the current API.

Shapes from Kontur's public documentation (developer.kontur.ru/doc/diadoc-api) and the protobuf
definitions of its SDK (diadoc/diadocsdk-csharp, ``proto/Events/DiadocMessage-GetApi.proto``,
``DiadocMessage-PostApi.proto``, ``UniversalMessage.proto``):

* **Authentication** — OpenID Connect, Refresh Token Flow: ``POST <token endpoint>`` (Kontur's
  identity provider, ``https://identity.kontur.ru/connect/token``) with the form
  ``grant_type=refresh_token``, ``client_id``, ``client_secret``, ``refresh_token`` answers
  ``{"access_token", "expires_in", "refresh_token", "token_type": "Bearer"}``. Every API call
  carries ``Authorization: Bearer <access_token>``. The access token is cached on the company
  until it expires (a minute of margin), then refreshed with the last refresh token the provider
  gave (they rotate); when that refresh is refused (or the API answers 401) the adapter
  authenticates again with the refresh token the administrator issued in Kontur's integrator
  cabinet (the setting); when that one is refused too, the call fails saying to issue a new one.
  The retired ``DiadocAuth`` scheme (``/V3/Authenticate``) is not used.
* ``GET /GetOrganization?fnsParticipantId=…``: the customer's box (``Boxes[0].BoxId``);
* ``POST /V3/PostMessage?operationId=<document GUID>``: the ``MessageToPost`` with one
  ``DocumentAttachment`` (``UniversalTransferDocument``, function ``ДОП``, version
  ``utd970_05_03_01``, ``SignedContent.Content`` = the XML, ``Signature`` = the detached signature
  made outside Odoo). Diadoc answers every repeated call with the same operation id with the result
  of the first successful one, so a retry after a 500 or a timeout never delivers a second
  document. Without a stored signature the message is posted as a draft (``IsDraft``) to be signed
  in Diadoc's web interface: signatures are never made up here. A draft is not sent: the UPD stays
  «sending» until the event feed shows the message the draft became (a ``Message`` with
  ``CreatedFromDraftId``, or a patch of the draft with ``DraftIsTransformedToMessageIdList``);
* the unilaterally signed copy of a UPD deemed accepted (contract 4.4) is posted the same way as a
  ``Nonformalized`` document (the PDF) with ``operationId`` = the GUID + ``-unilateral``, for the
  seller to sign in Diadoc's web interface like any draft;
* **answers** — ``GET /V8/GetNewEvents?boxId=…&afterIndexKey=…`` pages the box's ``BoxEvent``
  list (``Events``, ``TotalCount``, ``TotalCountType``); each event has an ``IndexKey``, the
  cursor. The company keeps the ``IndexKey`` of the last event it processed: each page is applied
  (inside a savepoint) and the cursor moved to its last event in the same transaction, which a
  cron commits per page, so a failure leaves the page to be read again and a re-poll reads
  nothing new. Events name messages (``Message.MessageId`` / ``Patch.MessageId``) and carry
  entities (metadata only: contents are read with ``GET /V4/GetEntityContent``):

  * ``Patch.MessageIsDelivered`` (the patch's ``TimestampTicks``), or the buyer's receipt
    (``Receipt``, ``InvoiceReceipt``, a ``UniversalMessage`` of code group ``Receipt``) under our
    document: the delivery date, in the company's support time zone; the first one counts;
  * ``UniversalTransferDocumentBuyerTitle`` under our document (with its ``Signature`` entity):
    the buyer's title (``КодИтога`` 1 signed, 2 signed with discrepancies, 3 refused);
  * ``XmlSignatureRejection`` or a ``UniversalMessage`` of code group ``Rejection`` (code 3999):
    a refusal; ``InvoiceCorrectionRequest`` or a ``UniversalMessage`` of code group
    ``AmendmentRequest`` (2999, «уведомление об уточнении»): a clarification request. The reason
    of a universal message is the ``PlainText`` of its ``UniversalMessageInfo.Events``; universal
    messages with ``IsOutOfWorkflow`` change nothing.

  Events of UPDs already signed or refused, repeated receipts and events of other documents
  change nothing. The retired ``GET /V5/GetMessage`` is not used.

Every request has a timeout; any failure raises, the UPD stays «sending» (or keeps its state)
and the cron retries.
"""

import base64
import logging
from datetime import UTC, datetime, timedelta

import requests

from odoo import fields
from odoo.exceptions import UserError

from ...rules.xml_safety import parse_xml_safely
from .provider import UpdProvider, register_provider

_logger = logging.getLogger(__name__)

TIMEOUT = 30.0
TIMEOUT_PARAMETER = "miko_support_contract.diadoc_timeout"
PAGE_SIZE_PARAMETER = "miko_support_contract.diadoc_events_page"
PAGE_SIZE = 100
MAX_PAGES = 100  # per run; the next run goes on from the stored cursor
TOKEN_MARGIN = 60  # seconds: an access token this close to its end is refreshed
DOCUMENT_TYPE = "UniversalTransferDocument"
DOCUMENT_FUNCTION = "ДОП"
DOCUMENT_VERSION = "utd970_05_03_01"
BUYER_TITLE = "UniversalTransferDocumentBuyerTitle"
NONFORMALIZED = "Nonformalized"
UNIVERSAL_MESSAGE = "UniversalMessage"
RECEIPTS = {"Receipt", "InvoiceReceipt"}
REFUSALS = {"XmlSignatureRejection": "refusal", "InvoiceCorrectionRequest": "clarification"}
UNIVERSAL_CODE_GROUPS = {
    "Receipt": "receipt",
    "Rejection": "refusal",
    "AmendmentRequest": "clarification",
}
_TICKS_EPOCH = datetime(1, 1, 1, tzinfo=UTC)


class DiadocError(Exception):
    """The operator refused or failed a call."""


def ticks_to_datetime(ticks):
    """.NET ticks (100 ns since 0001-01-01 UTC) as an aware datetime."""
    return _TICKS_EPOCH + timedelta(microseconds=int(ticks) // 10)


def _now():
    """Seconds since the epoch, from Odoo's clock (frozen in tests)."""
    return fields.Datetime.now().replace(tzinfo=UTC).timestamp()


@register_provider
class DiadocProvider(UpdProvider):
    code = "diadoc"

    SETTINGS = (
        "miko_diadoc_url",
        "miko_diadoc_token_url",
        "miko_diadoc_client_id",
        "miko_diadoc_client_secret",
        "miko_diadoc_refresh_token",
        "miko_diadoc_box_id",
    )

    def __init__(self, company):
        super().__init__(company)
        settings = company.sudo()
        self.base_url = (settings.miko_diadoc_url or "").rstrip("/")
        self.token_url = settings.miko_diadoc_token_url or ""
        self.client_id = settings.miko_diadoc_client_id or ""
        self.client_secret = settings.miko_diadoc_client_secret or ""
        self.refresh_token = settings.miko_diadoc_refresh_token or ""
        self.box_id = settings.miko_diadoc_box_id or ""
        self.tz = company._miko_support_zone()
        params = company.env["ir.config_parameter"].sudo()
        self.timeout = float(params.get_param(TIMEOUT_PARAMETER) or TIMEOUT)
        self.page_size = int(params.get_param(PAGE_SIZE_PARAMETER) or PAGE_SIZE)

    # ------------------------------------------------------------------ OpenID Connect
    def _token_request(self, refresh_token):
        """The token endpoint's answer to a refresh token, ``None`` when it refuses it."""
        if not self.token_url:
            raise DiadocError("Diadoc token endpoint is not configured")
        response = requests.post(
            self.token_url,
            data={
                "grant_type": "refresh_token",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "refresh_token": refresh_token,
            },
            headers={"Accept": "application/json"},
            timeout=self.timeout,
        )
        if response.status_code in (400, 401):  # invalid_grant, invalid_client
            return None
        if response.status_code >= 300:
            raise DiadocError(f"token endpoint: HTTP {response.status_code} {response.text[:300]}")
        tokens = response.json()
        if not tokens.get("access_token"):
            raise DiadocError("token endpoint: no access_token in the answer")
        return tokens

    def _access_token(self, force=False):
        """A valid access token: the cached one, else refreshed, else authenticated again with
        the issued refresh token (see the module docstring)."""
        company = self.company.sudo()
        cache = dict(company.miko_diadoc_token_cache or {})
        if cache.get("issued_from") != self.refresh_token:
            cache = {}  # the administrator issued a new refresh token: start from it
        if not force and cache.get("access_token") and cache["expires_at"] > _now() + TOKEN_MARGIN:
            return cache["access_token"]
        tokens = None
        rotated = cache.get("refresh_token")
        if rotated and rotated != self.refresh_token:
            tokens = self._token_request(rotated)
        if tokens is None:
            tokens = self._token_request(self.refresh_token)
        if tokens is None:
            company.miko_diadoc_token_cache = False
            raise DiadocError(
                self.env._(
                    "Diadoc refused the refresh token of %(company)s: issue a new one in "
                    "Kontur's integrator cabinet and enter it in Settings > Support Contracts "
                    "(Diadoc Refresh Token).",
                    company=company.display_name,
                )
            )
        cache = {
            "issued_from": self.refresh_token,
            "access_token": tokens["access_token"],
            "expires_at": _now() + int(tokens.get("expires_in") or 300),
            "refresh_token": tokens.get("refresh_token") or rotated or self.refresh_token,
        }
        company.miko_diadoc_token_cache = cache
        return cache["access_token"]

    # ------------------------------------------------------------------ HTTP
    def _request(self, method, path, params=None, json=None, retry=True):
        if not self.base_url:
            raise DiadocError("Diadoc API URL is not configured")
        response = requests.request(
            method,
            f"{self.base_url}{path}",
            params=params,
            json=json,
            headers={
                "Authorization": f"Bearer {self._access_token()}",
                "Accept": "application/json",
            },
            timeout=self.timeout,
        )
        if response.status_code == 401 and retry:
            # the access token was revoked before its end: authenticate again, once
            self._access_token(force=True)
            return self._request(method, path, params=params, json=json, retry=False)
        if response.status_code == 204:
            raise DiadocError(f"{path}: operation not finished yet, retry later")
        if response.status_code >= 300:
            raise DiadocError(f"{path}: HTTP {response.status_code} {response.text[:300]}")
        return response

    def _customer_box(self, upd):
        edo_id = upd.partner_id.commercial_partner_id.miko_edo_id
        organization = self._request(
            "GET", "/GetOrganization", params={"fnsParticipantId": edo_id}
        ).json()
        boxes = organization.get("Boxes") or []
        if not boxes:
            raise DiadocError(f"no Diadoc box for participant {edo_id}")
        return boxes[0]["BoxId"]

    def _entity_content(self, message_id, entity_id):
        return self._request(
            "GET",
            "/V4/GetEntityContent",
            params={"boxId": self.box_id, "messageId": message_id, "entityId": entity_id},
        ).content

    # ------------------------------------------------------------------ interface
    def missing_settings(self):
        settings = self.company.sudo()
        return [name for name in self.SETTINGS if not settings[name]]

    def send(self, upd):
        if upd.edi_message_id:
            # a draft: the feed tells when the seller sent it (the UPD then becomes «sent»)
            self.sync_events()
            return upd.state == "sent"
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
        upd.sudo().write(
            {
                "edi_message_id": posted.get("MessageId"),
                "edi_entity_id": _document_entity_id(posted),
            }
        )
        return not posted.get("IsDraft")

    def send_unilateral_copy(self, upd, attachment):
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

    def test_connection(self):
        """The name of the organization owning the configured box, read with the configured
        credentials (``GET /GetMyOrganizations``); raises when a call fails or the box is not
        one of the user's."""
        organizations = (
            self._request("GET", "/GetMyOrganizations", params={"autoRegister": "false"})
            .json()
            .get("Organizations")
            or []
        )
        for organization in organizations:
            for box in organization.get("Boxes") or []:
                if self.box_id in (box.get("BoxId"), box.get("BoxIdGuid")):
                    return organization.get("ShortName") or organization.get("FullName")
        raise DiadocError(
            self.env._(
                "The Diadoc user of %(company)s has no box %(box)s.",
                company=self.company.display_name,
                box=self.box_id,
            )
        )

    def poll(self, upd):
        """Read the box's new events; what they say is applied to the UPDs they name there
        and then, so nothing is left for :meth:`fetch_answer`."""
        self.sync_events()
        return {"delivered_on": None, "answer": False}

    def fetch_answer(self, upd):
        return None

    # ------------------------------------------------------------------ event feed
    def sync_events(self):
        """Page ``GET /V8/GetNewEvents`` from the company's stored ``IndexKey`` and apply each
        page; return the number of events read."""
        company = self.company.sudo()
        env = self.env
        read = 0
        for _page in range(MAX_PAGES):
            params = {"boxId": self.box_id, "limit": self.page_size}
            if company.miko_diadoc_index_key:
                params["afterIndexKey"] = company.miko_diadoc_index_key
            page = self._request("GET", "/V8/GetNewEvents", params=params).json()
            events = page.get("Events") or []
            if not events:
                break
            with env.cr.savepoint():
                for event in events:
                    self._apply_event_safely(event)
                company.miko_diadoc_index_key = events[-1].get("IndexKey")
            read += len(events)
            if env.context.get("ir_cron_progress_id"):
                env["ir.cron"]._commit_progress(0)  # the page and its cursor, together
            if page.get("TotalCountType") == "Equal" and page.get("TotalCount", 0) <= len(events):
                break
        return read

    def _apply_event_safely(self, event):
        """Apply one event; an answer the UPD refuses (not its buyer's title, no reason) is
        logged and kept on the UPD, and never blocks the feed. Operator failures raise."""
        try:
            with self.env.cr.savepoint():
                self._apply_event(event)
        except UserError as error:
            _logger.warning("Diadoc event %s not applied: %s", event.get("EventId"), error)
            message_id = (event.get("Message") or event.get("Patch") or {}).get("MessageId")
            self._upds(message_id).write({"edi_error": str(error)[:2000]})

    def _upds(self, message_id):
        if not message_id:
            return self.env["miko.support.upd"]
        return (
            self.env["miko.support.upd"]
            .sudo()
            .search([("company_id", "=", self.company.id), ("edi_message_id", "=", message_id)])
        )

    def _apply_event(self, event):
        message = event.get("Message")
        patch = event.get("Patch")
        if message:
            self._apply_new_message(message)
            message_id = message["MessageId"]
            entities = message.get("Entities") or []
        elif patch:
            message_id = patch["MessageId"]
            entities = patch.get("Entities") or []
            for sent_id in patch.get("DraftIsTransformedToMessageIdList") or []:
                for upd in self._upds(message_id):
                    self._draft_sent(upd, sent_id, None)
        else:
            return
        for upd in self._upds(message_id):
            if patch and patch.get("MessageIsDelivered") and patch.get("TimestampTicks"):
                self._delivered(upd, patch["TimestampTicks"])
            self._apply_entities(upd, message_id, entities)

    def _apply_new_message(self, message):
        """Our own outbound message: the one a draft became, or one whose post answer was
        lost (found by the UPD's GUID, ``CustomDocumentId``)."""
        if message.get("IsDraft"):
            return
        entity_id = _document_entity_id(message)
        draft_id = message.get("CreatedFromDraftId")
        for upd in self._upds(draft_id):
            self._draft_sent(upd, message["MessageId"], entity_id)
        guids = {
            (entity.get("DocumentInfo") or {}).get("CustomDocumentId")
            for entity in message.get("Entities") or []
        } - {None}
        if guids:
            Upd = self.env["miko.support.upd"].sudo()
            for upd in Upd.search(
                [
                    ("company_id", "=", self.company.id),
                    ("guid", "in", list(guids)),
                    ("edi_message_id", "=", False),
                    ("state", "=", "sending"),
                ]
            ):
                self._draft_sent(upd, message["MessageId"], entity_id)

    def _draft_sent(self, upd, message_id, entity_id):
        """The UPD's document left the box as message ``message_id``: it is «sent»."""
        if upd.edi_message_id != message_id:
            upd.write({"edi_message_id": message_id, "edi_entity_id": entity_id or False})
        elif entity_id and not upd.edi_entity_id:
            upd.edi_entity_id = entity_id
        if upd.state == "sending":
            upd.write({"state": "sent", "sent_date": fields.Datetime.now(), "edi_error": False})

    def _delivered(self, upd, ticks):
        if upd.state != "sent" or not ticks:
            return  # the first delivery counts; an answer already gave the date
        moment = ticks_to_datetime(ticks).astimezone(self.tz)
        upd.mark_delivered(moment.date())

    def _apply_entities(self, upd, message_id, entities):
        if not upd.edi_entity_id and _document_entity_id({"Entities": entities}):
            upd.edi_entity_id = _document_entity_id({"Entities": entities})
        ours = [e for e in entities if e.get("ParentEntityId") == upd.edi_entity_id]
        for entity in ours:
            kind = entity.get("AttachmentType")
            if kind == UNIVERSAL_MESSAGE:
                info = entity.get("UniversalMessageInfo") or {}
                if info.get("IsOutOfWorkflow"):
                    continue
                kind = UNIVERSAL_CODE_GROUPS.get(info.get("CodeGroup"))
                reason = "\n".join(
                    event.get("PlainText") or "" for event in info.get("Events") or []
                ).strip()
                if kind == "receipt":
                    self._delivered(upd, entity.get("RawCreationDate"))
                elif kind and upd.state in ("sent", "delivered"):
                    upd.env["miko.support.upd.exchange"]._apply_operator_answer(
                        upd, {"kind": kind, "reason": reason or kind}
                    )
            elif kind in RECEIPTS and entity.get("RawCreationDate"):
                self._delivered(upd, entity["RawCreationDate"])
            elif kind == BUYER_TITLE and upd.state in ("sent", "delivered"):
                signature = next(
                    (
                        child
                        for child in entities
                        if child.get("EntityType") == "Signature"
                        and child.get("ParentEntityId") == entity.get("EntityId")
                    ),
                    None,
                )
                upd.env["miko.support.upd.exchange"]._apply_operator_answer(
                    upd,
                    {
                        "kind": "title",
                        "content": self._entity_content(message_id, entity["EntityId"]),
                        "file_name": entity.get("FileName"),
                        "signature": signature
                        and self._entity_content(message_id, signature["EntityId"]),
                    },
                )
            elif kind in REFUSALS and upd.state in ("sent", "delivered"):
                data = self._entity_content(message_id, entity["EntityId"])
                upd.env["miko.support.upd.exchange"]._apply_operator_answer(
                    upd, {"kind": REFUSALS[kind], "reason": _refusal_text(data)}
                )


def _document_entity_id(message):
    """The entity of the UPD (the seller's title) in a message."""
    return next(
        (
            entity.get("EntityId")
            for entity in message.get("Entities") or []
            if entity.get("AttachmentType") == DOCUMENT_TYPE
        ),
        False,
    )


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
