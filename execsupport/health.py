"""Reachability of the app's dependencies, for ``/healthz`` (load balancers, compose, people).

The database is required: without it nothing can be served (``/healthz`` answers 503). The
broker and the cache are not: with the broker down, writes still succeed (the recompute is
marked in the database and the sweep catches up); with the cache down, pages are built afresh
and throttling lets requests through. So they are reported as ``down`` with the app
``degraded``, and ``/healthz`` still answers 200: a load balancer must not take every web
worker out of service because Redis is gone, which would turn a degraded app into no app.
"""

from __future__ import annotations

import logging
from typing import TypedDict

from django.core.cache import caches
from django.db import DatabaseError, connections

logger = logging.getLogger("execsupport.health")


class Dependency(TypedDict):
    """The state of one dependency in the health report: ``status`` "ok", "down" or
    "not_configured", and a short detail (no host names)."""

    status: str  # "ok", "down" or "not_configured"
    detail: str


def _failure(name: str, exc: BaseException) -> Dependency:
    # The exception class only: host names and ports stay in the server's log.
    logger.warning("Health check: %s unreachable (%s: %s)", name, type(exc).__name__, exc)
    return {"status": "down", "detail": f"unreachable ({type(exc).__name__})"}


def database_health() -> Dependency:
    """``SELECT 1`` on the default database."""
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return _failure("database", exc)
    return {"status": "ok", "detail": connections["default"].vendor}


def broker_health() -> Dependency:
    """A connection to the Celery broker, with the bounded timeouts of publishing."""
    from execsupport.celery import app

    if app.conf.task_always_eager or app.conf.broker_url.startswith("memory://"):
        return {"status": "not_configured", "detail": "no broker: tasks run in the web process"}
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
            conn.default_channel  # noqa: B018  (opening a channel talks to the broker)
    except Exception as exc:  # kombu raises the transport's own errors
        return _failure("broker", exc)
    return {"status": "ok", "detail": app.conf.broker_url.split("://")[0]}


def cache_health() -> Dependency:
    """The default cache: a PING for Redis, a write and read back for any other backend."""
    cache = caches["default"]
    health = getattr(cache, "health", None)
    if health is not None:
        reachable, detail = health()
        if not reachable:
            logger.warning("Health check: cache unreachable (%s)", detail)
            return {"status": "down", "detail": f"unreachable ({detail.split(':')[0]})"}
        return {"status": "ok", "detail": "redis"}
    try:
        cache.set("healthz:probe", 1, 10)
        if cache.get("healthz:probe") != 1:
            return {"status": "down", "detail": "a value written was not read back"}
    except Exception as exc:  # any cache backend's own errors
        return _failure("cache", exc)
    return {"status": "ok", "detail": type(cache).__name__}


def dependencies_health() -> tuple[dict, bool]:
    """``({"status": "ok" | "degraded" | "down", "database": Dependency, "broker": ...,
    "cache": ...}, serving)``; ``serving`` is false when the database is unreachable."""
    report = {
        "database": database_health(),
        "broker": broker_health(),
        "cache": cache_health(),
    }
    serving = report["database"]["status"] == "ok"
    degraded = any(d["status"] == "down" for d in report.values())
    status = "ok" if not degraded else ("degraded" if serving else "down")
    return {"status": status, **report}, serving
