"""The message log becomes a table partitioned by month, which the model's init() creates: the
old table is set aside, without the indexes and constraints whose names the new one takes; its
rows move in the post-migration."""

OLD = "carshare_iot_message_unpartitioned"


def migrate(cr, version):
    cr.execute("SELECT to_regclass('carshare_iot_message')")
    if not cr.fetchone()[0]:
        return
    cr.execute(f"ALTER TABLE carshare_iot_message RENAME TO {OLD}")
    cr.execute(f"ALTER TABLE {OLD} ALTER COLUMN id DROP DEFAULT")
    cr.execute("ALTER SEQUENCE carshare_iot_message_id_seq OWNED BY NONE")
    cr.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('p', 'u')",
        [OLD],
    )
    for (name,) in cr.fetchall():
        cr.execute(f'ALTER TABLE {OLD} DROP CONSTRAINT "{name}"')
    cr.execute(
        "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = %s::regclass", [OLD]
    )
    for (name,) in cr.fetchall():
        cr.execute(f"DROP INDEX {name}")
