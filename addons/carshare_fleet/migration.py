"""What the carshare addons' migration scripts share."""


def install_as_update(env, names):
    """Install in this same run the addons that code moved to (a new addon's own migrations do
    not run at its install), loaded as an update: an install would write over the records
    moved to them, and the administrators' edits of the noupdate ones (crons, sequences,
    rules, templates) would be lost. An addon an installed one depends on is already marked
    "to install"."""
    modules = env["ir.module.module"].search(
        [("name", "in", names), ("state", "in", ("uninstalled", "to install"))]
    )
    modules.filtered(lambda module: module.state == "uninstalled").button_install()
    env.cr.execute(
        "UPDATE ir_module_module SET state = 'to upgrade' WHERE id IN %s AND state = 'to install'",
        [tuple(modules.ids) or (0,)],
    )
    modules.invalidate_recordset(["state"])
