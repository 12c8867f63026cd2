"""Loaded into a real worker (`celery worker --include tests.e2e.slow_erasure_steps`) by the erasure
kill test: every committed erasure step then takes 1.5 s more, so the test can kill the worker between
two steps. Production code has no pause of its own."""

import time

from compliance.erasure import step_committed


def _slow_down(sender, **kwargs):
    time.sleep(1.5)


step_committed.connect(_slow_down, weak=False)
