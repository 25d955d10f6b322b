"""A local fake of Kontur.Diadoc on loopback: its OpenID Connect token endpoint and the API calls
the UPD adapter makes, in the shapes of Kontur's documentation and SDK protobufs (see the
docstring of ``upd/edi/diadoc.py``).

* ``POST /connect/token`` (Refresh Token Flow): a known refresh token gives a new access token
  and a new refresh token (the old one is spent: they rotate), ``expires_in`` = ``expires_in``;
* ``POST /V3/PostMessage``: stores a posted message once per ``operationId`` and answers every
  repeated call with the first result; ``fail_next`` makes the next calls store the message and
  then answer 500 or stall past the client's timeout, as a flaky operator would;
* ``GET /V8/GetNewEvents``: the box's ``BoxEvent`` feed after ``afterIndexKey``, ``limit`` per
  page (metadata only, like the real one), ``GET /V4/GetEntityContent`` the contents.
Every API call needs ``Authorization: Bearer <a token the endpoint issued>``.
"""

import base64
import copy
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

CLIENT_ID = "miko-test-client"
CLIENT_SECRET = "client-secret-4f1c"
REFRESH_TOKEN = "issued-refresh-token"
SELLER_BOX = "seller-box@diadoc.ru"
BUYER_BOX = "buyer-box@diadoc.ru"


class FakeDiadoc(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.reset()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def token_url(self):
        return f"{self.url}/connect/token"

    def reset(self):
        self.messages = {}  # operationId -> message
        self.events = []  # the box's BoxEvent feed
        self.contents = {}  # entity id -> bytes
        self.post_calls = 0
        self.event_calls = []  # the query of each GetNewEvents call
        self.token_calls = []  # the refresh token of each token request
        self.refresh_tokens = {REFRESH_TOKEN}
        self.access_tokens = set()
        self.expires_in = 3600
        self.fail_next = []  # "500" | "timeout", consumed per PostMessage call
        self.stall_seconds = 1.5

    def stop(self):
        self.shutdown()
        self.server_close()

    # helpers for the tests: what the identity provider and the buyer's side do
    def revoke_access_tokens(self):
        self.access_tokens.clear()

    def message(self, message_id):
        return next(m for m in self.messages.values() if m["MessageId"] == message_id)

    def _document(self, message):
        return next(e for e in message["Entities"] if e["AttachmentType"].startswith("Universal"))

    def add_event(self, message=None, patch=None):
        with self.lock:
            number = len(self.events) + 1
            # opaque, with characters that must be URL-encoded, as the documentation warns
            event = {"EventId": str(uuid.uuid4()), "IndexKey": f"Cg+{number:06d}/k="}
            if message is not None:
                event["Message"] = _metadata(message)
            if patch is not None:
                event["Patch"] = {
                    "MessageId": patch.pop("MessageId"),
                    "PatchId": str(uuid.uuid4()),
                    "TimestampTicks": patch.pop("TimestampTicks", 0),
                    **patch,
                }
                event["Patch"] = _metadata(event["Patch"])
            self.events.append(event)
        return event

    def _attachment(self, message, kind, content=None, parent=None, **extra):
        entity = {
            "EntityType": "Attachment",
            "EntityId": str(uuid.uuid4()),
            "ParentEntityId": parent or self._document(message)["EntityId"],
            "AttachmentType": kind,
            **extra,
        }
        if content is not None:
            self.contents[entity["EntityId"]] = content
            entity["Content"] = {"Size": len(content)}
        message["Entities"].append(entity)
        return entity

    def add_delivery(self, message_id, ticks):
        """The operator delivered the message to the buyer's box."""
        self.add_event(
            patch={"MessageId": message_id, "TimestampTicks": ticks, "MessageIsDelivered": True}
        )

    def add_buyer_title(self, message_id, content, signature):
        message = self.message(message_id)
        title = self._attachment(
            message,
            "UniversalTransferDocumentBuyerTitle",
            content,
            FileName="ON_NSCHFDOPPOK_answer.xml",
        )
        sign = self._attachment(message, "Nonformalized", signature, parent=title["EntityId"])
        sign["EntityType"] = "Signature"
        self.add_event(patch={"MessageId": message_id, "Entities": [title, sign]})

    def add_rejection(self, message_id, reason):
        """A refusal to sign in the Russian format (``XmlSignatureRejection``)."""
        message = self.message(message_id)
        text = f'<Файл><Документ><СвУведУточ ТекстУведУточ="{reason}"/></Документ></Файл>'
        entity = self._attachment(message, "XmlSignatureRejection", text.encode())
        self.add_event(patch={"MessageId": message_id, "Entities": [entity]})

    def add_universal_message(self, message_id, code_group, status_code, text, **info):
        """A universal message (УС) of the buyer under our document."""
        message = self.message(message_id)
        entity = self._attachment(
            message,
            "UniversalMessage",
            b"<UniversalMessage/>",
            RawCreationDate=info.pop("ticks", 0),
            UniversalMessageInfo={
                "CodeGroup": code_group,
                "Events": [{"StatusCode": status_code, "PlainText": text}],
                "UniversalMessageCreator": {"BoxId": BUYER_BOX, "DepartmentId": ""},
                **info,
            },
        )
        self.add_event(patch={"MessageId": message_id, "Entities": [entity]})

    def send_draft(self, message_id):
        """The seller signs and sends the draft in the web interface: a new message is sent
        (``CreatedFromDraftId``) and the draft names it."""
        draft = self.message(message_id)
        sent = {
            **copy.deepcopy(draft),
            "MessageId": str(uuid.uuid4()),
            "IsDraft": False,
            "CreatedFromDraftId": message_id,
        }
        for entity in sent["Entities"]:
            entity["EntityId"] = str(uuid.uuid4())
        self.messages[f"sent:{message_id}"] = sent
        self.add_event(message=sent)
        self.add_event(
            patch={
                "MessageId": message_id,
                "ForDraft": True,
                "DraftIsTransformedToMessageIdList": [sent["MessageId"]],
            }
        )
        return sent


def _metadata(value):
    """An event carries metadata only: entity contents are left out, as the real feed does."""
    value = copy.deepcopy(value)
    for entity in value.get("Entities") or []:
        if "Content" in entity:
            entity["Content"] = {"Size": entity["Content"].get("Size", -1)}
    return value


class _Handler(BaseHTTPRequestHandler):
    server: FakeDiadoc

    def log_message(self, format, *args):
        return

    def _reply(self, status, body=b"", content_type="application/json"):
        if isinstance(body, dict | list):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _raw_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length)

    def _authorized(self):
        header = self.headers.get("Authorization", "")
        return header.startswith("Bearer ") and header[7:] in self.server.access_tokens

    def _token(self):
        form = {key: values[0] for key, values in parse_qs(self._raw_body().decode()).items()}
        server = self.server
        with server.lock:
            server.token_calls.append(form.get("refresh_token"))
            if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
                return self._reply(401, {"error": "invalid_client"})
            if form.get("grant_type") != "refresh_token" or (
                form.get("refresh_token") not in server.refresh_tokens
            ):
                return self._reply(400, {"error": "invalid_grant"})
            server.refresh_tokens.discard(form["refresh_token"])
            access, refresh = f"at-{uuid.uuid4().hex[:8]}", f"rt-{uuid.uuid4().hex[:8]}"
            server.access_tokens.add(access)
            server.refresh_tokens.add(refresh)
        return self._reply(
            200,
            {
                "access_token": access,
                "expires_in": server.expires_in,
                "token_type": "Bearer",
                "refresh_token": refresh,
            },
        )

    def do_POST(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path == "/connect/token":
            return self._token()
        if not self._authorized():
            return self._reply(401, "no token", "text/plain")
        if url.path == "/V3/PostMessage":
            body = json.loads(self._raw_body() or b"{}")
            operation = (query.get("operationId") or [None])[0]
            server = self.server
            created = False
            with server.lock:
                server.post_calls += 1
                failure = server.fail_next.pop(0) if server.fail_next else None
                key = operation.lower() if operation else json.dumps(body, sort_keys=True)
                message = server.messages.get(key)
                if message is None:
                    attachment = body["DocumentAttachments"][0]
                    content = base64.b64decode(attachment["SignedContent"]["Content"])
                    message = {
                        "MessageId": str(uuid.uuid4()),
                        "FromBoxId": body["FromBoxId"],
                        "ToBoxId": body["ToBoxId"],
                        "IsDraft": body.get("IsDraft", False),
                        "Entities": [
                            {
                                "EntityType": "Attachment",
                                "EntityId": str(uuid.uuid4()),
                                "AttachmentType": attachment["TypeNamedId"],
                                "Content": {
                                    "Size": len(content),
                                    "Data": attachment["SignedContent"]["Content"],
                                },
                                "DocumentInfo": {
                                    "CustomDocumentId": attachment.get("CustomDocumentId")
                                },
                            }
                        ],
                    }
                    server.messages[key] = message
                    server.contents[message["Entities"][0]["EntityId"]] = content
                    created = True
            if created:
                server.add_event(message=message)
            if failure == "500":
                return self._reply(500, "internal error", "text/plain")
            if failure == "timeout":
                time.sleep(server.stall_seconds)
                return self._reply(500, "too late", "text/plain")
            return self._reply(200, message)
        return self._reply(404, "not found", "text/plain")

    def do_GET(self):
        url = urlparse(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        if not self._authorized():
            return self._reply(401, "no token", "text/plain")
        server = self.server
        if url.path == "/GetOrganization":
            return self._reply(200, {"Boxes": [{"BoxId": BUYER_BOX}]})
        if url.path == "/GetMyOrganizations":
            box = {
                "BoxId": SELLER_BOX,
                "BoxIdGuid": str(uuid.uuid5(uuid.NAMESPACE_DNS, SELLER_BOX)),
            }
            return self._reply(
                200,
                {
                    "Organizations": [
                        {
                            "FullName": "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «МИКО»",
                            "ShortName": "ООО «МИКО»",
                            "Boxes": [{**box, "Title": "ООО «МИКО»"}],
                        }
                    ]
                },
            )
        if url.path == "/V8/GetNewEvents":
            if query.get("boxId") != SELLER_BOX:
                return self._reply(403, "not your box", "text/plain")
            with server.lock:
                server.event_calls.append(query)
                keys = [event["IndexKey"] for event in server.events]
                after = query.get("afterIndexKey")
                if after is not None and after not in keys:
                    return self._reply(400, "cursor must have valid value", "text/plain")
                start = keys.index(after) + 1 if after is not None else 0
                rest = server.events[start:]
                page = rest[: int(query.get("limit") or 100)]
            return self._reply(
                200, {"Events": page, "TotalCount": len(rest), "TotalCountType": "Equal"}
            )
        if url.path == "/V4/GetEntityContent":
            content = server.contents.get(query.get("entityId"))
            if content is None:
                return self._reply(404, "no entity", "text/plain")
            return self._reply(200, content, "application/octet-stream")
        return self._reply(404, "not found", "text/plain")
