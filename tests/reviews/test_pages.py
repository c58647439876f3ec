"""Pages of the review cycle: who may see and do what, HTMX in place, My work, privacy of the
pack page, query counts at two sizes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reviews.diff import pack_diff
from reviews.models import ActionItem, Decision, Meeting, Pack, Review
from reviews.services import action_item_create, pack_freeze
from tests.plan_data import plan_build

HX = {"HX-Request": "true"}


def test_review_list_for_members_and_refused_to_outsiders(client, review, member, outsider):
    client.force_login(member)
    response = client.get(reverse("reviews:review-list"))
    assert response.status_code == 200
    assert review.name in response.content.decode()
    client.force_login(outsider)
    assert client.get(reverse("reviews:review-list")).status_code == 403


def test_a_leader_creates_a_review_and_a_member_may_not(client, private_plan, leader, member, team):
    client.force_login(leader)
    data = {"name": "Sales weekly", "scope": "team", "team": team.pk, "cadence": "weekly"}
    response = client.post(reverse("reviews:review-list"), data)
    review = Review.objects.get(name="Sales weekly")
    assert response.status_code == 302
    assert review.owner == leader
    assert leader in review.participants.all()
    client.force_login(member)
    assert client.post(reverse("reviews:review-list"), data).status_code == 403


def test_review_form_errors_keep_what_was_typed(client, private_plan, leader, other_team):
    client.force_login(leader)
    response = client.post(
        reverse("reviews:review-list"),
        {"name": "Typed name", "scope": "team", "cadence": "custom"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Typed name"' in html
    assert "Choose what this review looks at." in html
    assert "A custom cadence needs its number of days." in html
    assert not Review.objects.filter(name="Typed name").exists()
    # A team the leader does not lead (and may not see: private) is refused.
    response = client.post(
        reverse("reviews:review-list"),
        {"name": "Theirs", "scope": "team", "team": other_team.pk, "cadence": "weekly"},
    )
    assert not Review.objects.filter(name="Theirs").exists()


@pytest.mark.parametrize("days", ["0", "367", "1000000"])
def test_a_custom_cadence_beyond_a_year_is_refused(client, private_plan, leader, team, days):
    """Reproduction (new-user test): 1,000,000 days was accepted, and freezing its meeting's
    pack then failed (a 500: a date out of range one cadence back)."""
    client.force_login(leader)
    data = {"name": "Odd", "scope": "team", "team": team.pk, "cadence": "custom"}
    response = client.post(reverse("reviews:review-list"), {**data, "cadence_days": days})
    assert f'value="{days}"' in response.content.decode()
    assert not Review.objects.filter(name="Odd").exists()
    response = client.post(reverse("reviews:review-list"), {**data, "cadence_days": "366"})
    assert response.status_code == 302
    assert Review.objects.get(name="Odd").every_days == 366


def test_a_private_teams_review_is_hidden_from_others(
    client, private_plan, member, admin, other_team
):
    hidden = Review.objects.create(
        name="Engineering weekly", strategy=private_plan.strategy, scope="team", team=other_team
    )
    meeting = Meeting.objects.create(review=hidden, starts_at=timezone.now())
    pack, _ = pack_freeze(meeting=meeting)
    client.force_login(member)
    for url in (
        reverse("reviews:review-detail", args=[hidden.pk]),
        reverse("reviews:meeting", args=[meeting.pk]),
        reverse("reviews:pack", args=[pack.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert "Engineering weekly" not in client.get(reverse("reviews:review-list")).content.decode()
    client.force_login(admin)
    assert client.get(reverse("reviews:pack", args=[pack.pk])).status_code == 200


def test_pack_page_combines_a_private_teams_parts(
    client, meeting, member, admin, private_plan, other_team
):
    pack, _ = pack_freeze(meeting=meeting)
    hidden = [o.title for o in private_plan.objectives if o.team_id == other_team.pk]
    client.force_login(member)
    html = client.get(reverse("reviews:pack", args=[pack.pk])).content.decode()
    assert "parts you cannot see" in html
    for title in hidden:
        assert title not in html
    assert "Engineering" not in html
    client.force_login(admin)
    html = client.get(reverse("reviews:pack", args=[pack.pk])).content.decode()
    assert all(title in html for title in hidden)
    assert 'data-action="print"' in html


def test_only_who_runs_the_review_freezes_moves_and_cancels(
    client, meeting, leader, member, viewer
):
    for user in (member, viewer):
        client.force_login(user)
        for name in ("meeting-freeze", "meeting-cancel", "meeting-move"):
            assert client.post(reverse(f"reviews:{name}", args=[meeting.pk])).status_code == 403
    assert not Pack.objects.exists()
    client.force_login(leader)
    assert client.post(reverse("reviews:meeting-freeze", args=[meeting.pk])).status_code == 302
    assert client.post(reverse("reviews:meeting-freeze", args=[meeting.pk])).status_code == 302
    assert Pack.objects.filter(meeting=meeting).count() == 1
    later = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    client.post(reverse("reviews:meeting-move", args=[meeting.pk]), {"starts_at": later})
    meeting.refresh_from_db()
    assert meeting.moved_from is not None
    client.post(reverse("reviews:meeting-cancel", args=[meeting.pk]))
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED


def test_scheduling_a_meeting(client, review, leader, member):
    url = reverse("reviews:meeting-new", args=[review.pk])
    when = (timezone.localtime() + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    client.force_login(member)
    assert client.post(url, {"starts_at": when}).status_code == 403
    client.force_login(leader)
    assert client.post(url, {"starts_at": when}).status_code == 302
    assert review.meetings.count() == 1


def test_meeting_mode_records_in_place(client, meeting, member, leader, private_plan, other_team):
    pack_freeze(meeting=meeting)
    kpi = next(k for k in private_plan.kpis if k.team_id == member.memberships.get().team_id)
    client.force_login(member)  # a participant
    page = client.get(reverse("reviews:meeting", args=[meeting.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Mark discussed" in html
    key = next(
        c["key"] for c in pack_diff(None, meeting.pack.data) if c.get("team") != other_team.pk
    )
    response = client.post(
        reverse("reviews:meeting-discussed", args=[meeting.pk]),
        {"key": key, "discussed": "1"},
        headers=HX,
    )
    assert response.status_code == 200
    assert 'id="agenda"' in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.discussed == [key]

    response = client.post(
        reverse("reviews:decision-new", args=[meeting.pk]),
        {"text": "Double the pilot budget", "decided_by": leader.pk, "concerns": [f"kpi:{kpi.pk}"]},
        headers=HX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Double the pilot budget" in body
    assert "<html" not in body  # a fragment
    decision = Decision.objects.get()
    assert decision.decided_by == leader
    assert str(kpi.pk) in decision.kpis_then
    assert decision.kpis_then[str(kpi.pk)]["value"] is not None

    due = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    response = client.post(
        reverse("reviews:action-item-new", args=[meeting.pk]),
        {"title": "Call the pilot customers", "owner": member.pk, "due_date": due},
        headers=HX,
    )
    assert response.status_code == 200
    assert "Call the pilot customers" in response.content.decode()
    item = ActionItem.objects.get()
    assert item.owner == member
    assert item.meeting == meeting

    my_work = client.get(reverse("initiatives:my-work")).content.decode()
    assert "Call the pilot customers" in my_work
    response = client.post(
        reverse("reviews:action-item-status", args=[item.pk]), {"status": "done"}, headers=HX
    )
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.status == ActionItem.Status.DONE
    assert (
        "Call the pilot customers"
        not in client.get(reverse("initiatives:my-work")).content.decode()
    )


def test_meeting_forms_keep_what_was_typed(client, meeting, member):
    pack_freeze(meeting=meeting)
    client.force_login(member)
    response = client.post(
        reverse("reviews:action-item-new", args=[meeting.pk]),
        {"title": "Half typed", "due_date": "not a date"},
        headers=HX,
    )
    html = response.content.decode()
    assert 'value="Half typed"' in html
    assert not ActionItem.objects.exists()
    response = client.post(
        reverse("reviews:decision-new", args=[meeting.pk]), {"text": ""}, headers=HX
    )
    assert "This field is required." in response.content.decode()
    assert not Decision.objects.exists()


def test_non_participants_cannot_record(client, meeting, viewer, outsider):
    client.force_login(viewer)  # sees the strategy review, is no participant
    assert client.get(reverse("reviews:meeting", args=[meeting.pk])).status_code == 200
    for name in ("decision-new", "action-item-new", "meeting-discussed"):
        assert (
            client.post(reverse(f"reviews:{name}", args=[meeting.pk]), headers=HX).status_code
            == 403
        )
    client.force_login(outsider)
    assert client.get(reverse("reviews:meeting", args=[meeting.pk])).status_code == 404


def test_only_the_owner_or_leaders_close_an_action_item(client, meeting, member, viewer, leader):
    item = action_item_create(
        title="Write the memo",
        owner=leader,
        due_date=timezone.localdate(),
        created_by=leader,
        meeting=meeting,
    )
    url = reverse("reviews:action-item-status", args=[item.pk])
    client.force_login(viewer)
    assert client.post(url, {"status": "done"}).status_code == 403
    client.force_login(member)
    assert client.post(url, {"status": "done"}).status_code == 403
    client.force_login(leader)
    assert client.post(url, {"status": "dropped"}).status_code == 302
    item.refresh_from_db()
    assert item.status == "dropped"


def test_the_review_page_shows_the_decision_log_with_kpi_movement(
    client, meeting, member, leader, private_plan
):
    from metrics.models import Measurement
    from reviews.services import decision_record

    kpi = private_plan.kpis[0]
    decision_record(
        meeting=meeting,
        text="Focus on churn",
        decided_by=leader,
        recorded_by=leader,
        kpi_ids=[kpi.pk],
    )
    Measurement.objects.create(kpi=kpi, as_of=timezone.localdate(), value=77.5)
    client.force_login(member)
    html = client.get(reverse("reviews:review-detail", args=[meeting.review_id])).content.decode()
    assert "Focus on churn" in html
    assert "77.5" in html  # the value now, beside the value then


def _pages_queries(client, user, size, team, other_team, member, leader) -> dict[str, int]:
    plan = plan_build(size=size, team=team, other_team=other_team, member=member, leader=leader)
    review = Review.objects.create(name="R", strategy=plan.strategy, owner=leader)
    review.participants.set([member, leader])
    first = Meeting.objects.create(review=review, starts_at=timezone.now() - dt.timedelta(days=30))
    pack_freeze(meeting=first, now=timezone.now() - dt.timedelta(days=30))
    second = Meeting.objects.create(review=review, starts_at=timezone.now())
    from reviews.services import decision_record

    for kpi in plan.kpis:  # as many decisions and action items as the plan is large
        decision_record(
            meeting=second,
            text=f"On {kpi.name}",
            decided_by=leader,
            recorded_by=leader,
            kpi_ids=[kpi.pk],
        )
        action_item_create(
            title=f"Follow {kpi.name}",
            owner=member,
            due_date=timezone.localdate(),
            created_by=leader,
            meeting=second,
            team_id=kpi.team_id,
        )
    pack, _ = pack_freeze(meeting=second)  # after the decisions: the pack lists them
    client.force_login(user)
    counts = {}
    for name, url in {
        "pack": reverse("reviews:pack", args=[pack.pk]),
        "meeting": reverse("reviews:meeting", args=[second.pk]),
        "review": reverse("reviews:review-detail", args=[review.pk]),
        "list": reverse("reviews:review-list"),
        "my-work": reverse("initiatives:my-work"),
        "changes-csv": reverse("reviews:pack-changes-csv", args=[pack.pk]),
        "changes-xlsx": reverse("reviews:pack-changes-xlsx", args=[pack.pk]),
        "actions-csv": reverse("reviews:action-items-csv", args=[review.pk]),
        "actions-xlsx": reverse("reviews:action-items-xlsx", args=[review.pk]),
        "api-pack": f"/api/v1/packs/{pack.pk}/",
        "api-diff": f"/api/v1/packs/{pack.pk}/diff/",
        "api-decisions": f"/api/v1/decisions/?meeting={second.pk}",
        "api-actions": "/api/v1/action-items/",
    }.items():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts[name] = len(ctx.captured_queries)
    return counts


PAGE_QUERIES = {
    "pack": 10,
    "meeting": 19,
    "review": 17,
    "list": 7,
    # My work: + the survey rounds open for me (surveys.selectors.rounds_open_for).
    "my-work": 16,
    # Exports: the pack's page without its HTML (pack, previous pack, no query per change);
    # the review's action items in one query with owners and meetings, people shown in one.
    "changes-csv": 8,
    "changes-xlsx": 8,
    "actions-csv": 8,
    "actions-xlsx": 8,
    "api-pack": 7,
    "api-diff": 8,
    "api-decisions": 10,
    "api-actions": 7,
}


@pytest.mark.parametrize("size", [1, 4])
def test_page_queries_are_constant_in_the_scope(size, client, team, other_team, member, leader):
    counts = _pages_queries(client, member, size, team, other_team, member, leader)
    assert counts == PAGE_QUERIES


def test_the_next_pack_shows_each_decisions_kpi_then_and_at_the_pack(
    client, review, meeting, leader, member, private_plan
):
    from metrics.models import Measurement
    from reviews.services import decision_record

    pack_freeze(meeting=meeting, now=timezone.now() - dt.timedelta(days=10))
    kpi = next(k for k in private_plan.kpis if k.team_id == member.memberships.get().team_id)
    decision_record(
        meeting=meeting,
        text="Push the referral scheme",
        decided_by=leader,
        recorded_by=leader,
        kpi_ids=[kpi.pk],
    )
    Measurement.objects.create(kpi=kpi, as_of=timezone.localdate(), value=41.5)
    second = Meeting.objects.create(review=review, starts_at=timezone.now())
    pack, _ = pack_freeze(meeting=second)
    Measurement.objects.filter(kpi=kpi, as_of=timezone.localdate()).update(value=99.0)  # later
    client.force_login(member)
    html = client.get(reverse("reviews:pack", args=[pack.pk])).content.decode()
    assert "Push the referral scheme" in html
    assert "at this pack 41.5" in html
    assert "99.0" not in html


def test_only_keys_of_agenda_items_the_reader_sees_can_be_marked_discussed(
    client, meeting, member, private_plan, other_team
):
    pack_freeze(meeting=meeting)
    changes = pack_diff(None, meeting.pack.data)
    hidden = next(c["key"] for c in changes if c.get("team") == other_team.pk)
    shown = next(c["key"] for c in changes if c.get("team") != other_team.pk)
    kind, subject, _ = shown.split(":")
    url = reverse("reviews:meeting-discussed", args=[meeting.pk])
    client.force_login(member)
    refusals = [
        client.post(url, {"key": key, "discussed": "1"})
        for key in (f"{kind}:{subject}:999999", hidden)
    ]
    assert [r.status_code for r in refusals] == [400, 400]
    assert refusals[0].content == refusals[1].content  # nothing tells the hidden one exists
    assert client.post(url, {"key": shown, "discussed": "1"}).status_code == 302
    meeting.refresh_from_db()
    assert meeting.discussed == [shown]


def test_the_decision_log_names_a_visible_decider_and_says_when_none_was_recorded(
    client, admin, meeting, review, member, leader
):
    pack_freeze(meeting=meeting)
    client.force_login(admin)
    url = reverse("reviews:decision-new", args=[meeting.pk])
    client.post(url, {"text": "Hire two engineers", "decided_by": member.pk})
    client.post(url, {"text": "Nobody said who", "decided_by": ""})
    decisions = {d.text: d for d in Decision.objects.filter(meeting=meeting)}
    assert decisions["Hire two engineers"].decided_by == member
    assert decisions["Nobody said who"].decided_by is None
    member.first_name, member.last_name = "Olivia", "Bennett"
    member.save()
    for reader in (member, leader):
        client.force_login(reader)
        for page in (review.get_absolute_url(), meeting.get_absolute_url()):
            html = client.get(page).content.decode()
            assert "Olivia Bennett" in html
            assert "someone you cannot see" not in html
            assert "not recorded" in html
