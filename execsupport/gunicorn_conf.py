"""Gunicorn settings of the production image, also used by the benchmarks under ``bench/``.

``gunicorn -c python:execsupport.gunicorn_conf execsupport.wsgi`` (command-line flags override
these). ``WEB_CONCURRENCY`` sets the number of workers.
"""

from __future__ import annotations

import os


def cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Gunicorn's advice for sync workers, (2 x cores) + 1: a page spends much of its time waiting on
# PostgreSQL, and with one worker per core that core then idles.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * cores() + 1)
timeout = 60
accesslog = "-"
