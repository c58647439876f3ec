"""Gunicorn settings of the production image, also used by the benchmarks under ``bench/``.

``gunicorn -c python:execsupport.gunicorn_conf execsupport.wsgi`` (command-line flags override
these). ``WEB_CONCURRENCY`` sets the number of workers.
"""

from __future__ import annotations

import gc
import os


def cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# One sync worker per core. The pages are CPU-bound and their queries short, so more workers only
# take turns on the same cores: on 2 cores with PostgreSQL beside them, the overview's p95 at
# 5 clients was 349-375 ms with 2 workers, 425-481 ms with 3 and 458 ms with 5
# (bench/bench_pages.py). With the database on another machine, try more (WEB_CONCURRENCY).
workers = int(os.environ.get("WEB_CONCURRENCY") or cores())
timeout = 60
accesslog = "-"

# Young objects are collected every GC_THRESHOLD[0] allocations (Python's default, 700, means
# several collections per page). Measured over 110 overview renders in one process: 431 ms in
# the collector with the defaults, 235 ms frozen with these thresholds, and the full
# collections, which stalled a request for 60 ms each, to half as long and half as often.
GC_THRESHOLD = (50_000, 20, 20)


def post_worker_init(worker) -> None:
    """Once the worker has loaded the app: its modules, models, URL patterns and templates
    (about 90,000 objects) live as long as the process, so they are moved out of the
    collector's sight (``gc.freeze``), and young objects are collected less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)
