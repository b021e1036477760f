import base64
import json
import os
import pathlib
import re

import odoo.tests.common
from odoo.tests import HttpCase

SCREENSHOT_SIGNAL = "carshare-screenshot:"
SCREENSHOTS_VARIABLE = "CARSHARE_SCREENSHOTS"


class ScreenshotBrowser(odoo.tests.common.ChromeBrowser):
    """Odoo's test browser, saving the page as ``<name>.png`` in the folder named by
    ``CARSHARE_SCREENSHOTS`` when a tour step logs ``carshare-screenshot:<name>``. The step
    waits for the answer, so that the tour moves on only once the page is captured."""

    def _handle_console(self, type, args=None, stackTrace=None, **kw):  # pylint: disable=redefined-builtin
        message = str((args or [{}])[0].get("value", ""))
        if type == "log" and message.startswith(SCREENSHOT_SIGNAL):
            self._carshare_screenshot(message.removeprefix(SCREENSHOT_SIGNAL))
            return
        super()._handle_console(type, args=args, stackTrace=stackTrace, **kw)

    def _carshare_screenshot(self, name):
        if not re.fullmatch(r"[a-z0-9-]+", name):
            raise ValueError(f"screenshot names are lowercase words and dashes: {name!r}")
        folder = os.environ.get(SCREENSHOTS_VARIABLE)

        def answer(capture=None):
            if capture is not None:
                path = pathlib.Path(folder, f"{name}.png")
                path.write_bytes(base64.b64decode(capture.result()["data"]))
                self._logger.info("screenshot %s", path)
            self._websocket_send(
                "Runtime.evaluate",
                params={"expression": f"window.carshareScreenshot = {json.dumps(name)}"},
            )

        if not folder:
            answer()
            return
        pathlib.Path(folder).mkdir(parents=True, exist_ok=True)
        capture = self._websocket_send("Page.captureScreenshot", with_future=True)
        capture.add_done_callback(answer)


class ScreensCase(HttpCase):
    """Tours through the main screens of a role, in a screen of a laptop's size, that save
    screenshots when ``CARSHARE_SCREENSHOTS`` names a folder (e.g. ``docs/screenshots``).
    The users walk in French when the database has it, as the demo's users do."""

    browser_size = "1440x900"

    @classmethod
    def screens_lang(cls):
        return "fr_FR" if cls.env["res.lang"]._lang_get("fr_FR") else "en_US"

    def setUp(self):
        super().setUp()
        self.patch(odoo.tests.common, "ChromeBrowser", ScreenshotBrowser)
