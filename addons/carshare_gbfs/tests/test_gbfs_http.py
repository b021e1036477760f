import json
from urllib.parse import urlsplit

from odoo.tests import HttpCase, tagged

from .common import GbfsCaseMixin


@tagged("post_install", "-at_install")
class TestGbfsHttp(GbfsCaseMixin, HttpCase):
    """The feeds as an aggregator reads them: public, cached, with validators and CORS."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.community = cls.env["carshare.community"].search(
            [("gbfs_enabled", "=", True)], limit=1
        ) or cls.env.ref("carshare_fleet.community_autofree61", raise_if_not_found=False)
        if not cls.community:
            cls.community = cls.env["carshare.community"].create(
                {
                    "name": "HTTP test",
                    "gbfs_enabled": True,
                    "gbfs_system_id": "http-test",
                    "gbfs_contact_email": "opendata@example.org",
                }
            )

    def get(self, url, **headers):
        return self.url_open(urlsplit(url).path if url.startswith("http") else url, headers=headers)

    def test_follow_every_url_as_a_consumer(self):
        system = self.community.gbfs_system_id
        for version, root in (
            ("3.0", f"/gbfs/{system}/gbfs.json"),
            ("3.1-RC3", f"/gbfs/{system}/3.1-RC3/gbfs.json"),
        ):
            discovery = self.get(root)
            self.assertEqual(discovery.status_code, 200)
            self.assertEqual(discovery.headers["Access-Control-Allow-Origin"], "*")
            self.assertTrue(discovery.headers["Content-Type"].startswith("application/json"))
            feeds = discovery.json()["data"]["feeds"]
            for feed in feeds:
                response = self.get(feed["url"])
                self.assertEqual(response.status_code, 200, feed["url"])
                self.assertValidGbfs(version, feed["name"], response.json())
        manifest = self.get("/gbfs/manifest.json")
        self.assertValidGbfs("3.0", "manifest", manifest.json())

    def test_etag_and_not_modified(self):
        url = f"/gbfs/{self.community.gbfs_system_id}/station_status.json"
        first = self.get(url)
        self.assertTrue(first.headers["ETag"])
        self.assertTrue(first.headers["Last-Modified"])
        self.assertIn("max-age=", first.headers["Cache-Control"])
        again = self.get(url, **{"If-None-Match": first.headers["ETag"]})
        self.assertEqual(again.status_code, 304)
        self.assertEqual(again.content, b"")
        self.assertEqual(again.headers["ETag"], first.headers["ETag"])
        self.assertEqual(self.get(url).content, first.content, "served from the cache")

    def test_unknown_and_unpublished(self):
        self.assertEqual(self.get("/gbfs/nobody/gbfs.json").status_code, 404)
        system = self.community.gbfs_system_id
        self.assertEqual(self.get(f"/gbfs/{system}/vehicle_availability.json").status_code, 404)
        self.assertEqual(self.get(f"/gbfs/{system}/geofencing_zones.json").status_code, 404)
        self.community.gbfs_enabled = False
        self.assertEqual(self.get(f"/gbfs/{system}/gbfs.json").status_code, 404)
        manifest = json.loads(self.get("/gbfs/manifest.json").content)
        self.assertNotIn(system, [d["system_id"] for d in manifest["data"]["datasets"]])

    def test_read_only(self):
        response = self.url_open(
            f"/gbfs/{self.community.gbfs_system_id}/gbfs.json", data={"x": "1"}
        )
        self.assertEqual(response.status_code, 405)
