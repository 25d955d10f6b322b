"""Clients of the machines activities are pulled from: MikoPBX (REST API v3 and its ``cdr.db``)
and the TeamViewer Web API. They speak HTTP/SQLite and return plain rows; the rules in
``rules/`` turn the rows into activity records."""

from . import mikopbx, teamviewer_api
