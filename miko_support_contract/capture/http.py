"""The one HTTP call of the capture API clients: a GET with a Bearer token."""

import requests

from ..rules import RuleError


def bearer_get(url, token, timeout, params=None, *, unreachable, refused):
    """GET ``url`` with ``Authorization: Bearer <token>``; the response when it is HTTP 200.

    ``unreachable(reason)`` and ``refused(status)`` word the service's own errors (a lazily
    translated text each), raised as :class:`RuleError`.
    """
    try:
        response = requests.get(
            url, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        )
    except requests.RequestException as error:
        raise RuleError(unreachable(error)) from None
    if response.status_code != 200:
        raise RuleError(refused(response.status_code))
    return response
