"""Delivery of the monthly UPD to EDI operators behind one interface (:class:`UpdProvider`)."""

from .provider import UpdProvider, provider_for, register_provider
from . import manual
from . import diadoc

__all__ = ["UpdProvider", "diadoc", "manual", "provider_for", "register_provider"]
