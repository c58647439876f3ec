"""A Celery app for fault-injection tests: the project's app, in which one chunk of a full
recompute hangs after its worker claimed it, so that a test can ``kill -9`` the worker while
the chunk is in flight (as an OOM kill or a lost machine would).

``HANG_CHUNK=<stage>:<position>`` chooses the chunk (e.g. ``kpis:1``). Start a worker with
``celery -A tests.integration.hanging_worker worker``.
"""

from __future__ import annotations

import os
import time

from celery.signals import worker_process_init, worker_ready

from execsupport.celery import app

__all__ = ["app"]


def _hang_in_chosen_chunk(**_kwargs) -> None:
    from metrics.engine import runs

    stage, _, position = os.environ["HANG_CHUNK"].partition(":")
    compute = runs.chunk_work
    if getattr(compute, "hangs", False):
        return

    def chunk_work(chunk) -> None:
        if chunk.stage == stage and chunk.position == int(position):
            time.sleep(600)  # until the test kills this worker
        compute(chunk)

    chunk_work.hangs = True
    runs.chunk_work = chunk_work


# The solo pool runs tasks in the main process (worker_ready); prefork children get
# worker_process_init.
worker_ready.connect(_hang_in_chosen_chunk, weak=False)
worker_process_init.connect(_hang_in_chosen_chunk, weak=False)
