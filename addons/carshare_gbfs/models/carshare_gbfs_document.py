import hashlib
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL


class CarshareGbfsDocument(models.Model):
    """One generated feed file, kept in the database so that every worker serves the same copy
    and aggregators polling every few seconds cost one indexed read."""

    _name = "carshare.gbfs.document"
    _description = "GBFS Feed File"
    _order = "key"

    key = fields.Char(required=True, readonly=True, index=True)
    community_id = fields.Many2one(
        "carshare.community", readonly=True, index=True, ondelete="cascade"
    )
    version = fields.Char(required=True, readonly=True)
    feed = fields.Char(required=True, readonly=True)
    body = fields.Binary(readonly=True, attachment=False, prefetch=False)
    etag = fields.Char(readonly=True)
    last_updated = fields.Datetime(
        readonly=True, help="When the content last changed (the feed's last_updated)."
    )
    checked_at = fields.Datetime(readonly=True, help="When the content was last generated.")
    ttl = fields.Integer(readonly=True)

    _sql_constraints = [("key_uniq", "unique(key)", "One cached copy of each feed file.")]

    @api.model
    def _fresh(self, key, with_body=False):
        """(etag, last_updated, ttl, expires, body) of the cached copy of ``key`` if still
        valid, in one query; ``body`` is None unless asked for."""
        self.env.cr.execute(
            SQL(
                "SELECT etag, last_updated, ttl, checked_at, %s FROM carshare_gbfs_document "
                "WHERE key = %s AND checked_at + ttl * interval '1 second' > %s",
                SQL("body") if with_body else SQL("NULL"),
                key,
                fields.Datetime.now(),
            )
        )
        row = self.env.cr.fetchone()
        if not row:
            return None
        etag, last_updated, ttl, checked_at, body = row
        expires = checked_at + timedelta(seconds=ttl)
        return etag, last_updated, ttl, expires, bytes(body) if body is not None else None

    @api.model
    def _body(self, key):
        self.env.cr.execute(SQL("SELECT body FROM carshare_gbfs_document WHERE key = %s", key))
        row = self.env.cr.fetchone()
        return bytes(row[0]) if row else b""

    @api.model
    def _store(self, key, community, version, feed, generated):
        """Keep ``generated`` (a ``carshare.gbfs.feed._generate`` result) as the copy of ``key``.

        When the content is the one already kept, only its freshness moves: ``last_updated``
        and the ETag stay, so that a consumer's copy stays valid. Concurrent workers may both
        generate; the last one wins, without errors.
        """
        body, data_hash, now, ttl = generated
        etag = f'"{data_hash}"'
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO carshare_gbfs_document AS d
                    (key, community_id, version, feed, body, etag, last_updated, checked_at, ttl,
                     create_uid, write_uid, create_date, write_date)
                VALUES (%(key)s, %(community)s, %(version)s, %(feed)s, %(body)s, %(etag)s,
                        %(now)s, %(now)s, %(ttl)s, %(uid)s, %(uid)s, %(now)s, %(now)s)
                ON CONFLICT (key) DO UPDATE SET
                    body = CASE WHEN d.etag = EXCLUDED.etag THEN d.body ELSE EXCLUDED.body END,
                    last_updated = CASE WHEN d.etag = EXCLUDED.etag THEN d.last_updated
                                        ELSE EXCLUDED.last_updated END,
                    etag = EXCLUDED.etag,
                    checked_at = EXCLUDED.checked_at,
                    ttl = EXCLUDED.ttl,
                    community_id = EXCLUDED.community_id,
                    write_date = EXCLUDED.write_date
                RETURNING etag, last_updated, ttl, checked_at
                """,
                key=key,
                community=community.id or None,
                version=version,
                feed=feed,
                body=body,
                etag=etag,
                now=now,
                ttl=ttl,
                uid=self.env.uid,
            )
        )
        etag, last_updated, ttl, checked_at = self.env.cr.fetchone()
        return etag, last_updated, ttl, checked_at + timedelta(seconds=ttl)

    @api.model
    def _invalidate(self, communities):
        """Forget the copies of these communities' files and the operator's manifests."""
        self.env.cr.execute(
            SQL(
                "DELETE FROM carshare_gbfs_document WHERE community_id = ANY(%s) "
                "OR community_id IS NULL",
                communities.ids,
            )
        )

    @staticmethod
    def _hash(content):
        return hashlib.sha256(content).hexdigest()[:32]
