"""A local fake of the Kontur.Diadoc HTTP API (the calls the UPD adapter makes), on loopback.

Like the real operator it stores a posted message once per ``operationId`` and answers every
repeated call with the first result. ``fail_next`` makes the next PostMessage calls store the
message and then answer 500 or stall past the client's timeout, as a flaky operator would.
"""

import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

CLIENT_ID = "miko-test-client"
LOGIN = "upd@miko.example"
PASSWORD = "secret"
TOKEN = "token-4f1c"
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

    def reset(self):
        self.messages = {}  # operationId -> message
        self.post_calls = 0
        self.fail_next = []  # "500" | "timeout", consumed per PostMessage call
        self.stall_seconds = 1.5

    def stop(self):
        self.shutdown()
        self.server_close()

    # helpers for the tests: what the buyer's side does
    def message(self, message_id):
        return next(m for m in self.messages.values() if m["MessageId"] == message_id)

    def _document(self, message):
        return next(e for e in message["Entities"] if e["AttachmentType"].startswith("Universal"))

    def add_delivery(self, message_id, ticks):
        message = self.message(message_id)
        message["Entities"].append(
            {
                "EntityType": "Attachment",
                "EntityId": str(uuid.uuid4()),
                "ParentEntityId": self._document(message)["EntityId"],
                "AttachmentType": "DeliveryConfirmation",
                "RawCreationDate": ticks,
            }
        )

    def add_buyer_title(self, message_id, content, signature):
        message = self.message(message_id)
        title_id = str(uuid.uuid4())
        message["Entities"] += [
            {
                "EntityType": "Attachment",
                "EntityId": title_id,
                "ParentEntityId": self._document(message)["EntityId"],
                "AttachmentType": "UniversalTransferDocumentBuyerTitle",
                "FileName": "ON_NSCHFDOPPOK_answer.xml",
                "Content": {"Data": base64.b64encode(content).decode()},
            },
            {
                "EntityType": "Signature",
                "EntityId": str(uuid.uuid4()),
                "ParentEntityId": title_id,
                "AttachmentType": "Nonformalized",
                "Content": {"Data": base64.b64encode(signature).decode()},
            },
        ]

    def send_draft(self, message_id):
        """The seller signs and sends the draft in the web interface: a new message is sent and
        the draft names it (``DraftIsTransformedToMessageId``)."""
        draft = self.message(message_id)
        sent = {
            **draft,
            "MessageId": str(uuid.uuid4()),
            "IsDraft": False,
            "Entities": [{**entity, "EntityId": str(uuid.uuid4())} for entity in draft["Entities"]],
        }
        draft["DraftIsTransformedToMessageId"] = sent["MessageId"]
        self.messages[f"sent:{message_id}"] = sent
        return sent

    def add_rejection(self, message_id, reason):
        message = self.message(message_id)
        text = f'<Файл><Документ><СвУведУточ ТекстУведУточ="{reason}"/></Документ></Файл>'
        message["Entities"].append(
            {
                "EntityType": "Attachment",
                "EntityId": str(uuid.uuid4()),
                "ParentEntityId": self._document(message)["EntityId"],
                "AttachmentType": "SignatureRejection",
                "Content": {"Data": base64.b64encode(text.encode()).decode()},
            }
        )


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

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def _authorized(self, with_token=True):
        header = self.headers.get("Authorization", "")
        if not header.startswith(f"DiadocAuth ddauth_api_client_id={CLIENT_ID}"):
            return False
        return not with_token or f"ddauth_token={TOKEN}" in header

    def do_POST(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path == "/V3/Authenticate":
            body = self._body()
            if (
                query.get("type") != ["password"]
                or not self._authorized(with_token=False)
                or (body.get("login"), body.get("password")) != (LOGIN, PASSWORD)
            ):
                return self._reply(401, "bad credentials", "text/plain")
            return self._reply(200, TOKEN, "text/plain")
        if url.path == "/V3/PostMessage":
            if not self._authorized():
                return self._reply(401, "no token", "text/plain")
            body = self._body()
            operation = (query.get("operationId") or [None])[0]
            with self.server.lock:
                self.server.post_calls += 1
                failure = self.server.fail_next.pop(0) if self.server.fail_next else None
                key = operation.lower() if operation else json.dumps(body, sort_keys=True)
                message = self.server.messages.get(key)
                if message is None:
                    attachment = body["DocumentAttachments"][0]
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
                                "Content": {"Data": attachment["SignedContent"]["Content"]},
                                "CustomDocumentId": attachment.get("CustomDocumentId"),
                            }
                        ],
                    }
                    self.server.messages[key] = message
            if failure == "500":
                return self._reply(500, "internal error", "text/plain")
            if failure == "timeout":
                time.sleep(self.server.stall_seconds)
                return self._reply(500, "too late", "text/plain")
            return self._reply(200, message)
        return self._reply(404, "not found", "text/plain")

    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if not self._authorized():
            return self._reply(401, "no token", "text/plain")
        if url.path == "/GetOrganization":
            return self._reply(200, {"Boxes": [{"BoxId": BUYER_BOX}]})
        if url.path == "/V5/GetMessage":
            message_id = (query.get("messageId") or [None])[0]
            try:
                return self._reply(200, self.server.message(message_id))
            except StopIteration:
                return self._reply(404, "no message", "text/plain")
        return self._reply(404, "not found", "text/plain")
