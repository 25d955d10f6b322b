"""TeamViewer Web API: ``GET /api/v1/reports/connections`` with a script token.

``from_date``/``to_date`` are ISO 8601 UTC; a page answers ``{"records": [...],
"records_remaining": n, "next_offset": "…"}`` and the next page is asked with
``offset_id=<next_offset>``.
"""

from ..rules import RuleError, _lt
from .http import bearer_get

DEFAULT_URL = "https://webapi.teamviewer.com"
API_CONNECTIONS = "/api/v1/reports/connections"
API_PING = "/api/v1/ping"
TIMEOUT = 30
MAX_PAGES = 1000


class TeamViewerClient:
    def __init__(self, url, token, timeout=TIMEOUT):
        self.url = (url or DEFAULT_URL).rstrip("/")
        self.token = token or ""
        self.timeout = timeout

    def _get(self, path, params=None):
        response = bearer_get(
            self.url + path,
            self.token,
            self.timeout,
            params,
            unreachable=lambda reason: _lt(
                "TeamViewer %(url)s cannot be reached: %(reason)s", url=self.url, reason=reason
            ),
            refused=lambda status: _lt(
                "TeamViewer %(url)s answered HTTP %(status)s to %(path)s.",
                url=self.url,
                status=status,
                path=path,
            ),
        )
        try:
            return response.json()
        except ValueError:
            raise RuleError(
                _lt("TeamViewer %(url)s sent no JSON for %(path)s.", url=self.url, path=path)
            ) from None

    def ping(self):
        """Whether the token is valid (``token_valid`` of ``/api/v1/ping``)."""
        return bool((self._get(API_PING) or {}).get("token_valid"))

    def connections(self, from_date, to_date):
        """Every connection record between the two UTC moments, following ``next_offset``."""
        params = {
            "from_date": from_date.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "to_date": to_date.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        records = []
        for _page in range(MAX_PAGES):
            body = self._get(API_CONNECTIONS, params)
            records.extend(body.get("records") or [])
            offset = body.get("next_offset")
            if not offset or not body.get("records_remaining"):
                break
            params = {**params, "offset_id": offset}
        return records
