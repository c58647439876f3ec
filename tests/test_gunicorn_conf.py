from __future__ import annotations

import importlib

import pytest

from execsupport import gunicorn_conf


@pytest.fixture
def reload_conf(monkeypatch):
    def reload(**env):
        for name in ("WEB_CONCURRENCY", "GUNICORN_BIND"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return importlib.reload(gunicorn_conf)

    yield reload
    monkeypatch.undo()
    importlib.reload(gunicorn_conf)


def test_workers_default_to_one_per_core(reload_conf, monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1}, raising=False)

    conf = reload_conf()

    assert conf.workers == 2
    assert conf.bind == "0.0.0.0:8000"


def test_web_concurrency_and_bind_override_the_defaults(reload_conf):
    conf = reload_conf(WEB_CONCURRENCY="3", GUNICORN_BIND="127.0.0.1:9000")

    assert conf.workers == 3
    assert conf.bind == "127.0.0.1:9000"


def test_a_worker_freezes_what_it_loaded_and_collects_young_objects_less_often():
    import gc

    threshold = gc.get_threshold()
    try:
        gunicorn_conf.post_worker_init(worker=None)

        assert gc.get_freeze_count() > 1000  # this test process's modules, at least
        assert gc.get_threshold() == gunicorn_conf.GC_THRESHOLD
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
