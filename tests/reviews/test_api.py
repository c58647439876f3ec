"""The review cycle's API: packs filtered for the reader, the diff, decisions and action
items with the same rules as the pages."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from rest_framework.test import APIClient

from reviews.models import ActionItem, Meeting
from reviews.services import action_item_create, pack_freeze


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_a_pack_read_through_the_api_hides_a_private_teams_parts(
    meeting, member, admin, private_plan, other_team
):
    pack, _ = pack_freeze(meeting=meeting)
    hidden = [o.title for o in private_plan.objectives if o.team_id == other_team.pk]
    body = api(member).get(f"/api/v1/packs/{pack.pk}/").json()
    objectives = next(s for s in body["sections"] if s["kind"] == "objective")
    assert objectives["hidden"] == len(hidden)
    text = str(body)
    assert all(title not in text for title in hidden)
    office = api(admin).get(f"/api/v1/packs/{pack.pk}/").json()
    assert all(title in str(office) for title in hidden)
    # texts are plain for the reader, never the stored parts
    assert all(isinstance(r.get("reason", ""), str) for s in body["sections"] for r in s["rows"])


def test_the_diff_endpoint_ranks_and_links(meeting, review, leader, member, private_plan):
    pack_freeze(meeting=meeting, now=timezone.now() - dt.timedelta(days=30))
    kpi = next(k for k in private_plan.kpis if k.team_id == leader.memberships.get().team_id)
    from metrics.models import GapScore

    GapScore.objects.filter(subject_type="kpi", subject_id=kpi.pk, is_latest=True).update(
        status="off_track", score=10.0
    )
    second = Meeting.objects.create(review=review, starts_at=timezone.now())
    pack, _ = pack_freeze(meeting=second)
    body = api(leader).get(f"/api/v1/packs/{pack.pk}/diff/").json()
    assert body["previous"] == meeting.pack.pk
    weights = [c["weight"] for c in body["changes"]]
    assert weights == sorted(weights, reverse=True)
    red = [c for c in body["changes"] if c["kind"] == "new_red" and c["subject_id"] == kpi.pk]
    assert red
    assert red[0]["url"].endswith(f"/kpis/id/{kpi.pk}/")


def test_a_decision_cannot_name_a_hidden_kpi(meeting, member, private_plan, other_team):
    hidden_kpi = next(k for k in private_plan.kpis if k.team_id == other_team.pk)
    response = api(member).post(
        "/api/v1/decisions/",
        {"meeting": meeting.pk, "text": "Cut it", "kpis": [hidden_kpi.pk]},
        format="json",
    )
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"kpis"}


def test_action_item_life_cycle_through_the_api(meeting, member, leader, admin, private_plan):
    client = api(member)
    response = client.post(
        "/api/v1/action-items/",
        {
            "title": "Ask finance",
            "owner": member.pk,
            "due_date": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
            "meeting": meeting.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    item_id = response.json()["id"]
    response = client.patch(f"/api/v1/action-items/{item_id}/", {"status": "done"}, format="json")
    assert response.status_code == 200
    assert response.json()["closed_at"] is not None
    response = client.patch(f"/api/v1/action-items/{item_id}/", {"status": "open"}, format="json")
    assert response.json()["closed_at"] is None
    objective = private_plan.objectives[0]
    response = api(admin).post(
        f"/api/v1/action-items/{item_id}/to-initiative/", {"objective": objective.pk}, format="json"
    )
    assert response.status_code == 201
    item = ActionItem.objects.get(pk=item_id)
    assert item.status == "done"
    assert item.initiative.objective == objective
    assert item.initiative.owner == member


def test_bad_input_gets_field_errors(meeting, leader):
    response = api(leader).post(
        "/api/v1/reviews/", {"name": "X", "scope": "team", "cadence": "custom"}, format="json"
    )
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} >= {"team"}
    response = api(leader).patch(
        f"/api/v1/meetings/{meeting.pk}/", {"status": "held"}, format="json"
    )
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"status"}


def test_a_custom_cadence_beyond_a_year_is_a_field_error(meeting, leader, team):
    response = api(leader).post(
        "/api/v1/reviews/",
        {"name": "X", "scope": "team", "team": team.pk, "cadence": "custom", "cadence_days": 10**6},
        format="json",
    )
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"cadence_days"}


def test_moving_and_cancelling_a_meeting_through_the_api(meeting, leader):
    client = api(leader)
    later = (timezone.now() + dt.timedelta(days=2)).isoformat()
    response = client.patch(f"/api/v1/meetings/{meeting.pk}/", {"starts_at": later}, format="json")
    assert response.status_code == 200
    assert response.json()["moved_from"] is not None
    response = client.patch(
        f"/api/v1/meetings/{meeting.pk}/", {"status": "cancelled"}, format="json"
    )
    assert response.json()["status"] == "cancelled"


def test_an_overdue_item_of_someone_else_is_not_listed_to_outsiders_of_its_team(
    meeting, member, leader, other_team, viewer, other_member
):
    action_item_create(
        title="Private follow-up",
        owner=other_member,
        due_date=timezone.localdate(),
        created_by=leader,
        meeting=meeting,
        team_id=other_team.pk,
    )
    titles = [i["title"] for i in api(viewer).get("/api/v1/action-items/").json()["results"]]
    assert "Private follow-up" not in titles


def test_packs_have_no_updated_since_and_the_schema_says_so(meeting, admin):
    """A pack is frozen (no ``updated_at``): the shared ``updated_since`` filter is not
    declared for it, so ``?updated_since=`` is an undeclared parameter (ignored, not a 500) and
    the OpenAPI schema does not list it; lists of models with ``updated_at`` keep it."""
    pack, _ = pack_freeze(meeting=meeting)
    client = api(admin)
    response = client.get("/api/v1/packs/", {"updated_since": "2026-01-01T00:00:00Z"})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [pack.pk]
    schema = client.get("/api/schema/", {"format": "json"}).json()
    names = {p["name"] for p in schema["paths"]["/api/v1/packs/"]["get"]["parameters"]}
    assert "updated_since" not in names
    assert "review" in names
    meetings = schema["paths"]["/api/v1/meetings/"]["get"]["parameters"]
    assert "updated_since" in {p["name"] for p in meetings}
