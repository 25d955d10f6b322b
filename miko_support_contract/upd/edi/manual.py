"""Manual EDI: the user downloads the XML, sends it in the operator's web interface and uploads
the buyer's answer with the wizard."""

from .provider import UpdProvider, register_provider


@register_provider
class ManualProvider(UpdProvider):
    code = "manual"

    def send(self, upd):
        """Nothing leaves Odoo: the XML is ready for download; the UPD counts as sent and its
        chatter says the user sends it in the operator's interface."""
        upd._xml_content()
        upd.message_post(
            body=upd.env._(
                "Manual EDI: nothing was sent from here. Download the XML, send it in your EDI "
                "operator's interface and upload the buyer's answer on this UPD."
            )
        )
        return True

    def poll(self, upd):
        return {"delivered_on": None, "answer": False}

    def fetch_answer(self, upd):
        return None
