"""The interface every EDI operator adapter implements."""

_PROVIDERS = {}


class UpdProvider:
    """An EDI channel for ``miko.support.upd`` records.

    * :meth:`send` hands the seller's title (and its detached signature when stored) to the
      operator. It must be idempotent: sending the same UPD twice never delivers two documents
      (the document GUID is the operation key). It raises on any failure; the caller leaves the
      UPD «sending» and a cron retries it.
    * :meth:`poll` returns ``{"delivered_on": date | None, "answer": bool}``: whether the customer
      received it (operator receipt) and whether an answer (buyer's title, refusal, clarification
      request) is waiting.
    * :meth:`fetch_answer` returns that answer as ``{"kind": "title", "content": bytes,
      "file_name": str, "signature": bytes | None}`` or ``{"kind": "refusal" | "clarification",
      "reason": str}``, or ``None``.
    """

    code = None

    def __init__(self, company):
        self.company = company
        self.env = company.env

    def send(self, upd):
        raise NotImplementedError

    def poll(self, upd):
        raise NotImplementedError

    def fetch_answer(self, upd):
        raise NotImplementedError


def register_provider(cls):
    """Class decorator: make an adapter selectable by its ``code``."""
    _PROVIDERS[cls.code] = cls
    return cls


def provider_for(company):
    """The adapter configured on ``company`` (manual EDI when none)."""
    code = company.sudo().miko_edi_provider or "manual"
    return _PROVIDERS[code](company)
