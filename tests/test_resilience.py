"""The app keeps serving when Redis is gone, says so on /healthz, and signed-in responses are
not stored by browsers (issue #12, 4).

Reproduction: with ``CACHE_URL=rediscache://...`` (the README's advice for several web workers)
and Redis down, every API request answered 500 (DRF's throttle counters live in the cache)
and the overview too (its cached parts).
"""

from __future__ import annotations

import logging
import socket
from unittest import mock

import pytest
from django.core.cache import caches
from django.db import OperationalError
from rest_framework.test import APIClient

from execsupport.celery import app as celery_app
from strategy.models import ApiToken
from tests.api.conftest import token_client
from tests.factories import KPIFactory, ObjectiveFactory
from tests.test_settings import run


def _closed_port() -> int:
    """A local port nothing listens on: connecting is refused, as with Redis stopped."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def cache_down(settings):
    """The default cache configured as ``CACHE_URL=rediscache://`` makes it, Redis not running."""
    import environ

    config = environ.Env.cache_url_config(f"rediscache://127.0.0.1:{_closed_port()}/0")
    assert config["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    settings.CACHES = {"default": {**config, "BACKEND": "execsupport.cache.ResilientRedisCache"}}
    return caches["default"]


def test_rediscache_url_gets_the_backend_that_survives_an_outage():
    result = run(
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.CACHES['default']['BACKEND'])",
        DEBUG="true",
        CACHE_URL="rediscache://127.0.0.1:6379/3",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "execsupport.cache.ResilientRedisCache"


def test_api_and_pages_keep_serving_with_the_cache_down(
    cache_down, settings, client, leader, team, caplog
):
    settings.API_THROTTLE_USER = "2/min"
    ObjectiveFactory(team=team)
    KPIFactory(team=team)
    api = APIClient()
    api.force_login(leader)
    client.force_login(leader)
    caplog.set_level(logging.WARNING, logger="execsupport.cache")

    statuses = [api.get("/api/v1/kpis/").status_code for _ in range(4)]
    # Throttling degrades open: four requests on an allowance of two, all served.
    assert statuses == [200, 200, 200, 200]
    assert api.get("/api/v1/objectives/").status_code == 200
    assert client.get("/overview/").status_code == 200
    assert client.get("/alerts/").status_code == 200
    assert "Cache unreachable" in caplog.text
    # Logged once per retry period, not once per operation.
    assert caplog.text.count("Cache unreachable") == 1


def test_cache_down_answers_misses_without_trying_redis_again_at_once(cache_down):
    assert cache_down.get("k", "default") == "default"
    assert cache_down.add("k", 1) is False
    cache_down.set("k", 1)
    assert cache_down.get_many(["k"]) == {}
    with mock.patch("redis.connection.AbstractConnection.connect") as connect:
        assert cache_down.get("k") is None
    connect.assert_not_called()  # within RETRY_SECONDS of the failure


def test_healthz_reports_each_dependency(db, client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["broker"]["status"] == "not_configured"  # eager tasks in the tests
    assert body["cache"]["status"] == "ok"
    assert response["Cache-Control"] == "no-store"


@pytest.fixture
def broker_down():
    keys = ("broker_url", "task_always_eager")
    saved = {key: celery_app.conf[key] for key in keys}
    celery_app.conf.update(
        broker_url=f"redis://127.0.0.1:{_closed_port()}/0", task_always_eager=False
    )
    celery_app._pool = None
    try:
        yield
    finally:
        celery_app.conf.update(saved)
        celery_app._pool = None


def test_healthz_with_redis_down_is_degraded_but_serving(db, client, cache_down, broker_down):
    response = client.get("/healthz")

    assert response.status_code == 200  # the app still serves: no load balancer must drop it
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"]["status"] == "ok"
    assert body["broker"] == {"status": "down", "detail": "unreachable (OperationalError)"}
    assert body["cache"] == {"status": "down", "detail": "unreachable (ConnectionError)"}
    assert "127.0.0.1" not in response.content.decode()  # hosts stay in the server log


def test_healthz_is_503_when_the_database_is_unreachable(db, client):
    from django.db import connections

    with mock.patch.object(
        type(connections["default"]),
        "cursor",
        side_effect=OperationalError("could not connect to server"),
    ):
        response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["database"] == {"status": "down", "detail": "unreachable (OperationalError)"}


def test_signed_in_pages_are_not_stored(client, leader):
    client.force_login(leader)

    for url in ("/overview/", "/alerts/", "/my-work/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "no-store", url


def test_anonymous_responses_are_left_alone(client, db):
    response = client.get("/overview/")

    assert response.status_code == 302  # to the login page
    assert not response.has_header("Cache-Control")


def test_api_for_a_token_is_not_stored_but_polled_lists_keep_revalidation(leader, team):
    KPIFactory(team=team)
    api = token_client(leader, ApiToken.Scope.READ)

    detail = api.get("/api/v1/teams/")
    assert detail.status_code == 200
    assert detail["Cache-Control"] == "no-store"
    listed = api.get("/api/v1/kpis/")
    assert listed.status_code == 200
    # The version-keyed list chose its own caching: revalidate with the ETag (304), not no-store.
    assert listed["Cache-Control"] == "private, no-cache"
    assert api.get("/api/v1/kpis/", HTTP_IF_NONE_MATCH=listed["ETag"]).status_code == 304


def test_no_task_of_ours_keeps_a_result_so_enqueueing_never_waits_on_a_result_store():
    """The kind behind the 19 s writes: a task whose result is kept makes every enqueue
    subscribe to a result store. A new task inherits ``CELERY_TASK_IGNORE_RESULT``; only the
    ping smoke task, read by whoever pings, keeps its result."""
    celery_app.loader.import_default_modules()
    ours = {
        name: task
        for name, task in celery_app.tasks.items()
        if name.split(".")[0] in {"metrics", "strategy", "initiatives", "execsupport"}
    }
    assert "metrics.gaps_run_chunk" in ours
    keeping = sorted(name for name, task in ours.items() if not task.ignore_result)
    assert keeping == ["execsupport.ping"]


def test_redis_url_sets_the_broker_but_no_result_store():
    result = run(
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.CELERY_BROKER_URL, settings.CELERY_RESULT_BACKEND)",
        DEBUG="true",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "redis://127.0.0.1:6379/0 None"
