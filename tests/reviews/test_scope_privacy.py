"""A review of a private team (privacy): nobody who may not see its scope is made one of its
participants or its owner (``strategy.access.assignees_check``, on the page and in the API),
and a participant named before that rule (or whose team was made private since) reads the
scope counted, never named, on the list, the review and meeting pages, the pack, and in the
API; nor the texts of its decisions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from reviews.models import Meeting, Review
from reviews.services import decision_record, meeting_minutes_send, pack_freeze

pytestmark = pytest.mark.django_db

CANARY_DECISION = "Canary: close the Engineering lab"


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_the_office_cannot_make_a_participant_of_someone_who_cannot_see_the_scope(
    client, private_plan, admin, member, other_team
):
    """The tester's case: scope a private team, a participant from another team."""
    client.force_login(admin)
    data = {
        "name": "Engineering weekly",
        "scope": "team",
        "team": other_team.pk,
        "cadence": "weekly",
        "participants": [member.pk],
    }
    response = client.post(reverse("reviews:review-list"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "cannot see this review&#x27;s scope, so cannot take part in it" in html
    assert 'value="Engineering weekly"' in html  # what was typed is kept
    assert not Review.objects.filter(name="Engineering weekly").exists()


def test_the_api_refuses_such_a_participant_at_the_field(private_plan, admin, member, other_team):
    body = {
        "name": "Engineering weekly",
        "scope": "team",
        "team": other_team.pk,
        "cadence": "weekly",
        "participants": [member.pk],
    }
    response = api(admin).post("/api/v1/reviews/", body, format="json")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "participants"
    assert error["code"] == "cannot_see"
    assert not Review.objects.filter(name="Engineering weekly").exists()
    # Changing the scope of a review to a team a participant cannot see is refused too.
    review = Review.objects.create(
        name="Sales weekly", strategy=private_plan.strategy, scope="team", team=member_team(member)
    )
    review.participants.set([member])
    response = api(admin).patch(
        f"/api/v1/reviews/{review.pk}/", {"team": other_team.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "participants"
    review.refresh_from_db()
    assert review.team_id != other_team.pk


def member_team(person):
    return person.memberships.get().team


@pytest.fixture
def blind_review(private_plan, admin, member, other_team):
    """A review of the private team with a participant who may not see it (named before
    the rule, or the team made private since), a decision and two frozen packs."""
    review = Review.objects.create(
        name="Weekly review",
        strategy=private_plan.strategy,
        scope=Review.Scope.TEAM,
        team=other_team,
        cadence=Review.Cadence.WEEKLY,
        owner=admin,
    )
    review.participants.set([admin, member])
    meeting = Meeting.objects.create(
        review=review, starts_at=timezone.now() - dt.timedelta(hours=1)
    )
    decision_record(meeting=meeting, text=CANARY_DECISION, decided_by=admin, recorded_by=admin)
    pack_freeze(meeting=meeting)
    return review


def test_a_blind_participant_reads_the_scope_counted_not_named(client, blind_review, member):
    meeting = blind_review.meetings.get()
    client.force_login(member)
    pages = {
        "list": client.get(reverse("reviews:review-list")),
        "review": client.get(blind_review.get_absolute_url()),
        "meeting": client.get(meeting.get_absolute_url()),
        "pack": client.get(meeting.pack.get_absolute_url()),
    }
    for name, response in pages.items():
        html = response.content.decode()
        assert response.status_code == 200, name
        assert "Engineering" not in html, name
        assert CANARY_DECISION not in html, name
    assert "Team and its sub-teams: a part you cannot see" in pages["list"].content.decode()
    assert "A decision about a part you cannot see." in pages["meeting"].content.decode()
    assert "a part you cannot see" in pages["pack"].content.decode()


def test_the_api_names_the_scope_only_to_who_may_see_it(blind_review, member, admin):
    packs = api(member).get("/api/v1/packs/").json()["results"]
    assert [p["scope"] for p in packs] == ["a part you cannot see"]
    pack = api(member).get(f"/api/v1/packs/{packs[0]['id']}/").json()
    assert pack["scope"] == "a part you cannot see"
    decisions = api(member).get("/api/v1/decisions/").json()["results"]
    assert [d["text"] for d in decisions] == ["A decision about a part you cannot see."]
    # The office sees it all.
    assert [p["scope"] for p in api(admin).get("/api/v1/packs/").json()["results"]] == [
        "Engineering"
    ]
    assert api(admin).get("/api/v1/decisions/").json()["results"][0]["text"] == CANARY_DECISION


def test_the_minutes_go_only_to_participants_who_may_see_the_scope(blind_review, member, admin):
    meeting = blind_review.meetings.get()
    mail.outbox.clear()
    sent = meeting_minutes_send(meeting=meeting)
    assert sent == 1
    from metrics.models import OutboxMessage

    assert set(OutboxMessage.objects.values_list("recipient_id", flat=True)) == {admin.pk}
