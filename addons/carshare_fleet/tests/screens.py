import base64
import json
import os
import pathlib
import re
import tempfile
import time

import odoo.tests.common
from odoo.tests import HttpCase

SCREENSHOT_SIGNAL = "carshare-screenshot:"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class ScreenshotBrowser(odoo.tests.common.ChromeBrowser):
    """Odoo's test browser, saving the page as ``<name>.png`` in the test's screenshots folder
    when a tour step logs ``carshare-screenshot:<name>``. The step waits for the answer, so
    that the tour moves on only once the page is captured."""

    def _handle_console(self, type, args=None, stackTrace=None, **kw):  # pylint: disable=redefined-builtin
        message = str((args or [{}])[0].get("value", ""))
        if type == "log" and message.startswith(SCREENSHOT_SIGNAL):
            self._carshare_screenshot(message.removeprefix(SCREENSHOT_SIGNAL))
            return
        super()._handle_console(type, args=args, stackTrace=stackTrace, **kw)

    def _carshare_screenshot(self, name):
        if not re.fullmatch(r"[a-z0-9-]+", name):
            raise ValueError(f"screenshot names are lowercase words and dashes: {name!r}")
        path = self.test_case.screenshots / f"{name}.png"

        def saved(capture):
            path.write_bytes(base64.b64decode(capture.result()["data"]))
            self._logger.info("screenshot %s", path)
            self._websocket_send(
                "Runtime.evaluate",
                params={"expression": f"window.carshareScreenshot = {json.dumps(name)}"},
            )

        capture = self._websocket_send("Page.captureScreenshot", with_future=True)
        capture.add_done_callback(saved)


class ScreensCase(HttpCase):
    """Tours through the main screens of a role, in a screen of a laptop's size. Their
    screenshots go to the folder ``CARSHARE_SCREENSHOTS`` names (e.g. ``docs/screenshots``),
    else to a temporary folder, so that the suite never rewrites the repository. The users
    walk in French when the database has it, as the demo's users do."""

    browser_size = "1440x900"

    @classmethod
    def screens_lang(cls):
        return "fr_FR" if cls.env["res.lang"]._lang_get("fr_FR") else "en_US"

    def setUp(self):
        super().setUp()
        self.patch(odoo.tests.common, "ChromeBrowser", ScreenshotBrowser)
        folder = os.environ.get("CARSHARE_SCREENSHOTS")
        if not folder:
            folder = self.enterContext(tempfile.TemporaryDirectory())
        self.screenshots = pathlib.Path(folder)
        self.screenshots.mkdir(parents=True, exist_ok=True)
        self.screens_started = time.time()

    def assertScreenshots(self, *names):
        """The tour saved these screenshots, as PNG pictures, during this test."""
        for name in names:
            path = self.screenshots / f"{name}.png"
            self.assertTrue(path.is_file(), f"{path} was not saved")
            self.assertGreaterEqual(path.stat().st_mtime, self.screens_started, path)
            self.assertEqual(path.read_bytes()[:8], PNG_SIGNATURE, path)
