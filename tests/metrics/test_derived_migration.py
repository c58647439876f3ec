"""Migration 0006: score history, alerts and webhook deliveries stored before the parts format
carried names in plain text; they are converted (references rendered for each reader)."""

from __future__ import annotations

import datetime as dt
import importlib
import json

import pytest
from django.apps import apps

from metrics.models import Alert, GapScore, Webhook, WebhookDelivery
from strategy.models import Membership
from tests.factories import (
    AlertFactory,
    KPIFactory,
    MembershipFactory,
    ObjectiveFactory,
    TeamFactory,
    UserFactory,
)

migration = importlib.import_module("metrics.migrations.0006_derived_text_stored_rows")
CANARY = "CANARY"


@pytest.fixture
def legacy(company, viewer):
    operations = TeamFactory(name="Operations", slug="operations", parent=company)
    people = TeamFactory(name=f"People {CANARY}", slug="people", parent=operations, is_private=True)
    insider = UserFactory(username="insider")
    MembershipFactory(user=insider, team=people, role=Membership.Role.VIEWER)
    parent = ObjectiveFactory(team=operations, title="Run lean operations")
    secret = ObjectiveFactory(team=people, parent=parent, theme=parent.theme, title=f"{CANARY}-OBJ")
    lead = KPIFactory(objective=parent, team=people, name=f"{CANARY}-LEAD", key="lead")
    cost = KPIFactory(objective=parent, team=operations, name="Cost per order", key="cost")
    team_label, secret_label = f"team “People {CANARY}”", f"objective “{CANARY}-OBJ”"
    detail = (
        f"Health 40/100 (1 of 1 part scored); behind mainly because of {secret_label} (-60 points)."
    )
    for latest, day in ((False, dt.date(2026, 5, 1)), (True, dt.date(2026, 6, 1))):
        GapScore.objects.create(
            subject_type="team", subject_id=operations.pk, as_of=day, is_latest=latest,
            status="off_track", score=50.0,
            reason=f"Health 50/100 (2 of 2 parts scored); behind mainly because of {team_label} "
            "(-30 points) and objective “Run lean operations” (-10 points).",
            components={"items": [
                {"key": f"team:{people.pk}", "label": team_label, "score": 40.0, "weight": 0.5,
                 "status": "off_track", "detail": detail, "subject_type": "team",
                 "subject_id": people.pk},
                {"key": f"objective:{parent.pk}", "label": "objective “Run lean operations”",
                 "score": 60.0, "weight": 0.5, "status": "at_risk", "detail": "Fine {x}",
                 "subject_type": "objective", "subject_id": parent.pk},
            ], "coverage": 1.0},
            contributors=[
                {"label": team_label, "gap_points": 30.0, "explanation": f"{team_label}: {detail}",
                 "subject_type": "team", "subject_id": people.pk},
                {"label": "objective “Run lean operations”", "gap_points": 10.0,
                 "explanation": "objective “Run lean operations”: Fine {x}",
                 "subject_type": "objective", "subject_id": parent.pk},
            ],
        )  # fmt: skip
    alert = AlertFactory(
        kind="early_warning",
        subject_type="objective",
        subject_id=parent.pk,
        team=operations,
        title="Leading indicator warns: objective “Run lean operations”",
        message=f"Leading KPI “{CANARY}-LEAD” is off track while lagging KPI “Cost per order” "
        "still looks fine: act now.",
        details={"leading": [f"“{CANARY}-LEAD”"], "lagging": ["“Cost per order”"]},
    )
    hook = Webhook.objects.create(name="w", url="http://127.0.0.1:9/", secret="s" * 16)
    WebhookDelivery.objects.create(
        webhook=hook,
        alert=alert,
        payload={"alerts": [{"id": alert.pk, "title": alert.title, "message": alert.message}]},
    )
    migration.forwards(apps, None)
    return {
        "operations": operations,
        "insider": insider,
        "alert": alert,
        "lead": lead,
        "cost": cost,
        "secret": secret,
    }


def test_stored_rows_no_longer_carry_names(legacy):
    stored = json.dumps(
        [
            list(GapScore.objects.values_list("reason", "components", "contributors")),
            list(Alert.objects.values_list("title", "message", "details")),
            list(WebhookDelivery.objects.values_list("payload", flat=True)),
        ],
        ensure_ascii=False,
    )
    assert CANARY not in stored.replace(f'"team:{legacy["operations"].pk}', "")
    assert "Run lean operations" not in stored
    alert = Alert.objects.get()
    assert alert.title == "Leading indicator warns"
    assert alert.details == {
        "leading_kpi_ids": [legacy["lead"].pk],
        "lagging_kpi_ids": [legacy["cost"].pk],
    }


def test_history_is_rendered_for_its_reader_after_the_migration(client, legacy, viewer):
    url = f"/api/v1/scores/history/?subject_type=team&subject_id={legacy['operations'].pk}"
    client.force_login(viewer)
    body = client.get(url).content.decode()
    assert CANARY not in body
    rows = json.loads(body)["results"]
    assert len(rows) == 2
    assert rows[0]["reason"] == (
        "Health 50/100 (2 of 2 parts scored); behind mainly because of a part you cannot see "
        "and objective “Run lean operations” (-10 points)."
    )
    assert [c["label"] for c in rows[0]["contributors"]] == ["objective “Run lean operations”"]
    assert rows[0]["contributors"][0]["explanation"] == "objective “Run lean operations”: Fine {x}"
    client.force_login(legacy["insider"])
    inside = json.loads(client.get(url).content)["results"][0]
    assert f"team “People {CANARY}” (-30 points)" in inside["reason"]
    assert f"objective “{CANARY}-OBJ” (-60 points)" in inside["contributors"][0]["explanation"]


def test_old_alerts_name_their_kpis_for_those_who_may_see_them(client, legacy, viewer):
    url = f"/api/v1/alerts/{legacy['alert'].pk}/"
    client.force_login(viewer)
    outside = client.get(url).json()
    assert outside["title"] == "Leading indicator warns: objective “Run lean operations”"
    assert outside["message"].startswith(
        "Leading a part you cannot see is off track while lagging KPI “Cost per order” still"
    )
    client.force_login(legacy["insider"])
    assert f"KPI “{CANARY}-LEAD”" in client.get(url).json()["message"]


def test_the_migration_is_idempotent(legacy):
    before = list(GapScore.objects.order_by("id").values())
    migration.forwards(apps, None)
    assert list(GapScore.objects.order_by("id").values()) == before
