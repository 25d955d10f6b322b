"""MikoPBX call records: the REST API v3 (release 2026.1 and later) and the SQLite ``cdr.db``.

API: ``GET /pbxcore/api/v3/cdr?grouped=false&sort=id&order=ASC&idFrom=<last id>&limit=<≤1000>``
with ``Authorization: Bearer <API key>`` returns ``{"result": true, "data": {"data": [rows],
"pagination": {"lastId": …, "hasMore": …}}}``; ``GET /pbxcore/api/v3/time-settings`` gives the
PBX's zone in ``data.PBXTimezone``.
"""

import contextlib
import os
import sqlite3
import tempfile

from ..rules import RuleError, _lt
from .http import bearer_get

API_CDR = "/pbxcore/api/v3/cdr"
API_TIME_SETTINGS = "/pbxcore/api/v3/time-settings"
PAGE_LIMIT = 1000
TIMEOUT = 30


class MikoPbxClient:
    def __init__(self, url, api_key, timeout=TIMEOUT):
        self.url = (url or "").rstrip("/")
        self.api_key = api_key or ""
        self.timeout = timeout

    def _get(self, path, params=None):
        response = bearer_get(
            self.url + path,
            self.api_key,
            self.timeout,
            params,
            unreachable=lambda reason: _lt(
                "MikoPBX %(url)s cannot be reached: %(reason)s", url=self.url, reason=reason
            ),
            refused=lambda status: _lt(
                "MikoPBX %(url)s answered HTTP %(status)s to %(path)s.",
                url=self.url,
                status=status,
                path=path,
            ),
        )
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not body.get("result"):
            raise RuleError(
                _lt(
                    "MikoPBX %(url)s refused %(path)s: %(body)s",
                    url=self.url,
                    path=path,
                    body=response.text[:300],
                )
            )
        return body.get("data")

    def time_zone(self):
        """The PBX's zone (``PBXTimezone``), or ``None`` when it does not say."""
        data = self._get(API_TIME_SETTINGS) or {}
        return (data.get("PBXTimezone") or "").strip() or None

    def cdr_page(self, id_from, limit=PAGE_LIMIT):
        """Rows with ``id > id_from`` in id order, at most ``limit`` (≤ 1000)."""
        data = self._get(
            API_CDR,
            {
                "grouped": "false",
                "sort": "id",
                "order": "ASC",
                "idFrom": int(id_from or 0),
                "limit": min(int(limit), PAGE_LIMIT),
            },
        )
        rows = data.get("data") if isinstance(data, dict) else data
        if not isinstance(rows, list):
            raise RuleError(_lt("MikoPBX %(url)s sent no list of call records.", url=self.url))
        return rows


def read_cdr_db(data, id_from=0):
    """Rows of ``cdr_general`` with ``id > id_from`` from the bytes of a MikoPBX ``cdr.db``."""
    if not data.startswith(b"SQLite format 3\x00"):
        raise RuleError(_lt("The file is not a SQLite database (MikoPBX cdr.db)."))
    handle, path = tempfile.mkstemp(suffix=".db")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            db.row_factory = sqlite3.Row
            try:
                cursor = db.execute(
                    "SELECT * FROM cdr_general WHERE id > ? ORDER BY id", (int(id_from or 0),)
                )
            except sqlite3.DatabaseError as error:
                raise RuleError(
                    _lt(
                        "The database has no MikoPBX call records (cdr_general): %(reason)s",
                        reason=error,
                    )
                ) from None
            return [dict(row) for row in cursor]
    finally:
        os.unlink(path)
