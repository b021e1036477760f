"""The carsharing crons' loop: one record at a time, each kept once done."""

from odoo import modules


def commit(env):
    """Keep what was done so far, as Odoo's payment crons do (a charge a provider has made must
    survive a later failure); not in tests, whose transaction is rolled back."""
    if not modules.module.current_test:
        env.cr.commit()  # pylint: disable=invalid-commit


def for_each(env, records, step, logger, what):
    """``step(record)`` for each record in a savepoint of its own, committed after it: a record
    that fails is logged on the caller's ``logger`` (``what`` failed) and neither stops nor
    undoes the others."""
    for record in records:
        try:
            with env.cr.savepoint():
                step(record)
        except Exception:
            logger.exception("%s of %s failed", what, record.display_name)
        commit(env)
