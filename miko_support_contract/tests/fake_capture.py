"""Local fakes, on loopback, of the machines activities are pulled from.

* :class:`FakeMikoPbx` serves MikoPBX's REST API v3 (``/pbxcore/api/v3/cdr``,
  ``/pbxcore/api/v3/time-settings``) from a ``cdr_general`` table loaded with MikoPBX's own
  test fixture (``data/mikopbx_cdr_seed_data.sql``), with the paging and the Bearer key of the
  real handler (``src/PBXCoreREST/Lib/Cdr/GetListAction.php``).
* :class:`FakeTeamViewer` serves ``/api/v1/ping`` and ``/api/v1/reports/connections`` with
  ``offset_id`` paging.
* :func:`mikopbx_cdr_db` writes a ``cdr.db`` as MikoPBX keeps it.
"""

import json
import pathlib
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

DATA = pathlib.Path(__file__).parent / "data"
API_KEY = "miko-test-api-key"
TEAMVIEWER_TOKEN = "12345678-tvtoken"
# columns of MikoPBX's CallDetailRecords model (src/Common/Models/CallDetailRecordsBase.php)
CDR_GENERAL = """
CREATE TABLE cdr_general (
    id INTEGER PRIMARY KEY AUTOINCREMENT, start TEXT, endtime TEXT, answer TEXT, src_chan TEXT,
    src_num TEXT, src_name TEXT, dst_chan TEXT, dst_num TEXT, dst_name TEXT, UNIQUEID TEXT,
    linkedid TEXT, did TEXT, disposition TEXT, recordingfile TEXT, from_account TEXT,
    to_account TEXT, dialstatus TEXT, appname TEXT, transfer TEXT, is_app TEXT,
    duration INTEGER, billsec INTEGER, work_completed TEXT, src_call_id TEXT, dst_call_id TEXT,
    verbose_call_id TEXT
);
"""


def load_cdr(db):
    db.executescript(CDR_GENERAL)
    db.executescript((DATA / "mikopbx_cdr_seed_data.sql").read_text())
    db.commit()


def mikopbx_cdr_db(path):
    with sqlite3.connect(path) as db:
        load_cdr(db)
    return pathlib.Path(path).read_bytes()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler):
        super().__init__(("127.0.0.1", 0), handler)
        self.requests_seen = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self):
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format, *args):
        return

    def _reply(self, status, body):
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class FakeMikoPbx(_Server):
    def __init__(self, timezone="Europe/Moscow"):
        self.timezone = timezone
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.lock = threading.Lock()
        load_cdr(self.db)
        super().__init__(_MikoHandler)


class _MikoHandler(_Handler):
    server: FakeMikoPbx

    def do_GET(self):
        url = urlparse(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        self.server.requests_seen.append((url.path, query))
        if self.headers.get("Authorization") != f"Bearer {API_KEY}":
            return self._reply(401, {"result": False, "messages": {"error": ["Unauthorized"]}})
        if url.path == "/pbxcore/api/v3/time-settings":
            return self._reply(
                200,
                {"result": True, "data": {"PBXTimezone": self.server.timezone, "NTPServer": ""}},
            )
        if url.path == "/pbxcore/api/v3/cdr":
            limit = min(int(query.get("limit", 50)), 1000)
            id_from = int(query.get("idFrom", 0))
            if query.get("grouped") != "false" or query.get("sort") != "id":
                return self._reply(400, {"result": False, "messages": {"error": ["grouped"]}})
            order = "ASC" if query.get("order") == "ASC" else "DESC"
            with self.server.lock:
                rows = [
                    dict(row)
                    for row in self.server.db.execute(
                        f"SELECT * FROM cdr_general WHERE id > ? ORDER BY id {order} LIMIT ?",
                        (id_from, limit),
                    )
                ]
            return self._reply(
                200,
                {
                    "result": True,
                    "data": {
                        "data": rows,
                        "pagination": {
                            "limit": limit,
                            "offset": 0,
                            "lastId": rows[-1]["id"] if rows else None,
                        },
                    },
                },
            )
        return self._reply(404, {"result": False})


class FakeTeamViewer(_Server):
    def __init__(self, records, page_size=2):
        self.records = records
        self.page_size = page_size
        super().__init__(_TeamViewerHandler)


class _TeamViewerHandler(_Handler):
    server: FakeTeamViewer

    def do_GET(self):
        url = urlparse(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        self.server.requests_seen.append((url.path, query))
        if self.headers.get("Authorization") != f"Bearer {TEAMVIEWER_TOKEN}":
            return self._reply(401, {"error": "invalid_token"})
        if url.path == "/api/v1/ping":
            return self._reply(200, {"token_valid": True})
        if url.path == "/api/v1/reports/connections":
            chosen = [
                r
                for r in self.server.records
                if query["from_date"] <= r["start_date"][:19] + "Z" < query["to_date"]
            ]
            start = int(query.get("offset_id") or 0)
            page = chosen[start : start + self.server.page_size]
            remaining = len(chosen) - start - len(page)
            return self._reply(
                200,
                {
                    "records": page,
                    "records_remaining": remaining,
                    "next_offset": str(start + len(page)) if remaining else None,
                },
            )
        return self._reply(404, {"error": "not found"})
