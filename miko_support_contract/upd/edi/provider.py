"""The interface every EDI operator adapter implements."""

_PROVIDERS = {}


class UpdProvider:
    """An EDI channel for ``miko.support.upd`` records.

    * :meth:`missing_settings` names the company fields the adapter still needs (empty when it
      can work); sending is refused while one is missing.
    * :meth:`send` hands the seller's title (and its detached signature when stored) to the
      operator. It must be idempotent: sending the same UPD twice never delivers two documents
      (the document GUID is the operation key). It returns ``True`` once the operator accepted
      the document as sent, ``False`` while it waits there (a draft to be signed); it raises on
      any failure. Until it returns ``True`` the UPD stays «sending» and a cron retries it.
    * :meth:`poll` returns ``{"delivered_on": date | None, "answer": bool}``: whether the customer
      received it (operator receipt) and whether an answer (buyer's title, refusal, clarification
      request) is waiting. An operator that reports a box-wide event feed (Diadoc) reads it here
      and applies what it says to the UPDs it names at once (``mark_delivered``,
      ``_apply_operator_answer``), then returns nothing left to do.
    * :meth:`fetch_answer` returns that answer as ``{"kind": "title", "content": bytes,
      "file_name": str, "signature": bytes | None}`` or ``{"kind": "refusal" | "clarification",
      "reason": str}``, or ``None``.
    """

    code = None

    def __init__(self, company):
        self.company = company
        self.env = company.env

    def missing_settings(self):
        return []

    def send(self, upd):
        raise NotImplementedError

    def poll(self, upd):
        raise NotImplementedError

    def fetch_answer(self, upd):
        raise NotImplementedError

    def send_unilateral_copy(self, upd, attachment):
        """Send the unilaterally signed copy (PDF ``attachment``) of a UPD deemed accepted to the
        customer; return the operator's message id, or ``None`` when the user sends it."""
        return None


def register_provider(cls):
    """Class decorator: make an adapter selectable by its ``code``."""
    _PROVIDERS[cls.code] = cls
    return cls


def provider_for(company):
    """The adapter configured on ``company``, ``None`` when no operator is set."""
    code = company.sudo().miko_edi_provider
    return _PROVIDERS[code](company) if code else None
