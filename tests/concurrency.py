"""Run code in real threads against the test database, each with its own connection.

Tests that use this need ``pytest.mark.django_db(transaction=True)``: the data a test creates
must be committed for the other connections to see it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def run_concurrently(*calls: Callable[[], Any], timeout: float = 60.0) -> list[Any]:
    """Start one thread per call at the same moment; return their results in call order.

    Each thread's database connection is closed when it ends (Django opens one per thread).
    The first exception raised in a thread is raised here, after every thread has ended.
    """
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []
    start = threading.Barrier(len(calls))

    def target(index: int, call: Callable[[], Any]) -> None:
        try:
            start.wait(timeout=timeout)
            results[index] = call()
        except BaseException as exc:  # re-raised in the calling thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=target, args=(i, call), daemon=True) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if any(thread.is_alive() for thread in threads):
        raise TimeoutError(f"Concurrent calls still running after {timeout} s.")
    if errors:
        raise errors[0]
    return results


def after_read(method: Callable, *, parties: int, timeout: float = 5.0) -> Callable:
    """Wrap a view method that reads the object a request works on (``get_object``) so that
    each of ``parties`` concurrent requests has read it before any of them goes on to write:
    the interleaving under which writing the whole row as read loses the others' changes.

    A party that cannot reach the barrier in ``timeout`` seconds (it waits for a lock another
    party holds) goes on; the barrier is then broken and nobody waits any more.
    """
    barrier = threading.Barrier(parties)

    def wrapper(view, *args, **kwargs):
        obj = method(view, *args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=timeout)
        return obj

    return wrapper
