from . import cli, models, wizards


def uninstall_hook(env):
    """The ORM drops no partitioned table: the message log's, with its partitions."""
    env.cr.execute("DROP TABLE IF EXISTS carshare_iot_message CASCADE")
