"""Browser tours that leave screenshots of what the user saw.

A tour step logs ``miko_screenshot:<name>`` (``static/tests/tours/role_day_tours.js``) and waits;
the test captures the page to ``.local/screenshots/<name>.png`` of the repository (ignored by git)
and tells the page that the capture is done, so the tour goes on only after it.
"""

import base64
import json
from pathlib import Path
from unittest.mock import patch

from odoo.tests import HttpCase
from odoo.tests.common import ChromeBrowser

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".local" / "screenshots"
PREFIX = "miko_screenshot:"


class MikoTourCase(HttpCase):
    def start_tour(self, url_path, tour_name, step_delay=None, **kwargs):
        handle_console = ChromeBrowser._handle_console

        def capture(browser, type, args=None, **kw):  # pylint: disable=redefined-builtin
            if type == "log" and args:
                message = str(browser._from_remoteobject(args[0]))
                if message.startswith(PREFIX):
                    self._capture(browser, message[len(PREFIX) :])
            return handle_console(browser, type, args=args, **kw)

        with patch.object(ChromeBrowser, "_handle_console", capture):
            return super().start_tour(url_path, tour_name, step_delay=step_delay, **kwargs)

    @staticmethod
    def _capture(browser, name):
        def save(future):
            try:
                data = future.result(timeout=0).get("data")
                if data:
                    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                    (SCREENSHOTS / f"{name}.png").write_bytes(base64.b64decode(data))
            finally:
                browser._websocket_send(
                    "Runtime.evaluate",
                    params={"expression": f"window.mikoScreenshotTaken = {json.dumps(name)}"},
                )

        future = browser._websocket_send("Page.captureScreenshot", with_future=True)
        if future:
            future.add_done_callback(save)
