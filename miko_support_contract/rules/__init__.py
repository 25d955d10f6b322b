"""Pure business rules of the support contract: no ORM access here.

Each module takes plain Python values (``str``, ``int``, ``Decimal``, ``datetime``) and returns
plain values. Invalid input raises :class:`RuleError`, whose ``message`` is a lazy translation
(``LazyTranslate``) that the calling model turns into a ``ValidationError`` / ``UserError`` in the
user's language with ``self.env._(error.message)``.
"""

from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)


class RuleError(ValueError):
    """A business rule refused a value. ``message`` is a lazily translated text."""

    def __init__(self, message):
        self.message = message
        # kept lazy: translating here, outside a request, would look for a language in vain
        # (and log it) for every refused record of a bulk import
        super().__init__(message)
