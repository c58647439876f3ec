"""Migrations strategy 0013 / initiatives 0012: existing objectives and initiatives get the key
the application would propose (the title's slug, then -2, -3 ... in id order)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from strategy.keys import key_base, key_first_free

BEFORE = [("strategy", "0012_search_indexes"), ("initiatives", "0011_history")]
AFTER = [("strategy", "0013_external_key"), ("initiatives", "0012_external_key")]


@pytest.mark.django_db(transaction=True)
def test_existing_rows_get_deterministic_unique_keys():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Team = old.get_model("strategy", "Team")
    company = Team.objects.create(name="Co", slug="co", kind="company")
    strategy = old.get_model("strategy", "Strategy").objects.create(
        name="S", horizon_start=dt.date(2026, 1, 1), horizon_end=dt.date(2027, 1, 1)
    )
    theme = old.get_model("strategy", "Theme").objects.create(strategy=strategy, name="T")
    period = old.get_model("strategy", "Period").objects.create(
        name="P", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31)
    )
    Objective = old.get_model("strategy", "Objective")
    titles = ["Grow SMB", "Grow SMB", "Grow \u2013 SMB!", "Ärger über Öl", "!!!"]
    made = [
        Objective.objects.create(
            strategy=strategy,
            theme=theme,
            period=period,
            team=company,
            title=title,
            start_date=dt.date(2026, 1, 1),
            due_date=dt.date(2026, 12, 31),
        )
        for title in titles
    ]
    Initiative = old.get_model("initiatives", "Initiative")
    Initiative.objects.create(
        objective=made[0], team=company, title="CRM", start_date=dt.date(2026, 1, 1),
        due_date=dt.date(2026, 6, 30),
    )  # fmt: skip
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    keys = list(
        new.get_model("strategy", "Objective").objects.order_by("id").values_list("key", flat=True)
    )
    assert keys == ["grow-smb", "grow-smb-2", "grow-smb-3", "arger-uber-ol", "objective"]
    assert new.get_model("initiatives", "Initiative").objects.get().key == "crm"
    # the same keys as the application proposes (strategy.keys)
    taken: set[str] = set()
    for title, key in zip(titles, keys, strict=True):
        assert key_first_free(base=key_base(title=title, fallback="objective"), taken=taken) == key
        taken.add(key)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
