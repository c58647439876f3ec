"""Notifications of action on someone's work (issue #16, "Notifications people want"): each kind
of event tells the people whose work it is once, per their ``work`` preference (at once, in the
daily digest, or off), never the person who acted, never someone who may not see the object;
a batch tells each owner once (``metrics.work``)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from activity.comments import comment_post
from initiatives.models import Milestone, SpendEntry
from initiatives.services import (
    checkin_create,
    initiative_save,
    milestone_delete,
    milestone_save,
    milestone_set_completed,
    spend_record,
    spend_save,
)
from metrics.digest import digests_build
from metrics.models import KPI, OutboxMessage
from metrics.notifications import outbox_attempt
from metrics.preferences import preferences_update
from metrics.services import kpi_plan, kpi_save, measurement_record, measurements_ingest
from metrics.work import work_batch
from reviews.models import ActionItem
from reviews.services import (
    action_item_create,
    action_item_save,
    action_item_set_status,
    action_item_to_initiative,
)
from strategy.access import access_for
from strategy.derived import part, ref
from strategy.models import ApiToken, Objective
from strategy.services import objective_save
from tests.api.conftest import token_client
from tests.factories import (
    AlertFactory,
    InitiativeFactory,
    KPIFactory,
    MembershipFactory,
    MilestoneFactory,
    ObjectiveFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def owner(team):
    user = UserFactory(username="olive", first_name="Olive", last_name="Owner")
    MembershipFactory(user=user, team=team)
    return user


@pytest.fixture
def actor(leader):
    leader.first_name, leader.last_name = "Lee", "Leader"
    leader.save()
    return leader


def _work(person) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(recipient=person, event="work").order_by("id"))


def _prefer(person, delivery: str) -> None:
    preferences_update(user=person, data={"work": delivery})


# Each kind of event: (what is done by ``actor`` on ``owner``'s work) -> words of the title.
def _checkin(team, owner, actor):
    initiative = InitiativeFactory(objective__team=team, owner=owner, title="Launch Nordics")
    checkin_create(
        initiative=initiative,
        author=actor,
        rag="amber",
        confidence=60,
        progress=40,
        summary="Two hires late.",
    )
    return "Lee Leader checked in on initiative “Launch Nordics”"


def _objective_status(team, owner, actor):
    objective = Objective.objects.get(pk=ObjectiveFactory(team=team, owner=owner, title="Grow").pk)
    objective.status = Objective.Status.ACHIEVED
    objective_save(objective=objective, by=actor)
    return "Lee Leader changed the status of objective “Grow”"


def _initiative_edit(team, owner, actor):
    made = InitiativeFactory(objective__team=team, owner=owner, title="Pilot")
    initiative = type(made).objects.get(pk=made.pk)
    initiative.title = "Pilot in Oslo"
    initiative_save(initiative=initiative, by=actor)
    return "Lee Leader edited initiative “Pilot in Oslo”"


def _kpi_edit(team, owner, actor):
    kpi = KPI.objects.get(pk=KPIFactory(objective__team=team, owner=owner, name="NPS").pk)
    kpi.description = "Asked each quarter."
    kpi_save(kpi=kpi, changed_by=actor)
    return "Lee Leader edited KPI “NPS”"


def _target_revision(team, owner, actor):
    kpi = KPI.objects.get(pk=KPIFactory(objective__team=team, owner=owner, name="Churn").pk)
    before = kpi_plan(kpi=kpi)
    kpi.target_value = kpi.target_value + 5
    kpi_save(kpi=kpi, changed_by=actor, previous_plan=before, reason="Board asked for more.")
    return "Lee Leader revised the target of KPI “Churn”"


def _measurement(team, owner, actor):
    kpi = KPIFactory(objective__team=team, owner=owner, name="Leads")
    measurement_record(kpi=kpi, as_of=TODAY, value=42, entered_by=actor)
    return "Lee Leader recorded a value of KPI “Leads”"


def _comment(team, owner, actor):
    objective = ObjectiveFactory(team=team, owner=owner, title="Retain")
    comment_post(subject=objective, author=actor, body="Numbers look thin.")
    return "Lee Leader commented on objective “Retain”"


def _action_item(team, owner, actor):
    action_item_create(
        title="Call the bank", owner=owner, due_date=TODAY, created_by=actor, team_id=team.pk
    )
    return "Lee Leader gave you action item “Call the bank”"


def _action_item_done(team, owner, actor):
    item = action_item_create(
        title="Call the bank", owner=owner, due_date=TODAY, created_by=owner, team_id=team.pk
    )
    action_item_set_status(item=item, status=ActionItem.Status.DONE, by=actor)
    return "Lee Leader marked action item “Call the bank” done"


def _milestone_completed(team, owner, actor):
    initiative = InitiativeFactory(objective__team=team, owner=owner, title="Launch")
    made = MilestoneFactory(initiative=initiative, title="Beta out")
    milestone = Milestone.objects.select_related("initiative").get(pk=made.pk)
    milestone_set_completed(milestone=milestone, completed_on=TODAY, by=actor)
    return "Lee Leader completed milestone “Beta out” of initiative “Launch”"


def _spend(team, owner, actor):
    initiative = InitiativeFactory(objective__team=team, owner=owner, title="Launch")
    spend_record(initiative=initiative, date=TODAY, amount=Decimal("1200"), entered_by=actor)
    return "Lee Leader recorded spend of 1,200.00 on initiative “Launch”"


def _alert_comment(team, owner, actor):
    kpi = KPIFactory(objective__team=team, owner=owner, name="NPS")
    alert = AlertFactory(
        team=team,
        owner=owner,
        subject_id=kpi.pk,
        title_parts=part("KPI off track: {k}", k=ref("kpi", kpi.pk)),
    )
    comment_post(subject=alert, author=actor, body="Who is on this?")
    return "Lee Leader commented on the alert “KPI off track: KPI “NPS””"


EVENTS = {
    "action_item_done": _action_item_done,
    "milestone_completed": _milestone_completed,
    "spend": _spend,
    "alert_comment": _alert_comment,
    "checkin": _checkin,
    "objective_status": _objective_status,
    "initiative_edit": _initiative_edit,
    "kpi_edit": _kpi_edit,
    "target_revision": _target_revision,
    "measurement": _measurement,
    "comment": _comment,
    "action_item": _action_item,
}


@pytest.mark.parametrize("event", sorted(EVENTS))
def test_each_event_tells_the_owner_once_at_once(event, team, owner, actor):
    _prefer(owner, "immediate")
    title = EVENTS[event](team, owner, actor)
    [row] = _work(owner)
    assert row.kind == OutboxMessage.Kind.IMMEDIATE
    assert row.subject == f"[ExecSupport] {title}"
    assert _work(actor) == []
    assert outbox_attempt(message_id=row.id) == "sent"
    [message] = mail.outbox
    assert title in message.body
    assert '"Action on my work"' in message.body


@pytest.mark.parametrize("event", sorted(EVENTS))
def test_each_event_waits_for_the_digest_when_so_preferred(event, team, owner, actor):
    _prefer(owner, "digest")
    title = EVENTS[event](team, owner, actor)
    [row] = _work(owner)
    assert (row.kind, row.status) == (OutboxMessage.Kind.HELD, OutboxMessage.Status.HELD)
    assert row.parts["title"]  # kept as parts, rendered again by the digest
    counts = digests_build(now=timezone.now() + dt.timedelta(minutes=1))
    assert counts["notes"] == 1
    digest = OutboxMessage.objects.get(recipient=owner, kind=OutboxMessage.Kind.DIGEST)
    assert f"Action on my work: {title}" in digest.body
    assert title in digest.html_body.replace("&ldquo;", "“").replace("&rdquo;", "”")


@pytest.mark.parametrize("event", sorted(EVENTS))
def test_each_event_tells_nobody_when_off(event, team, owner, actor):
    _prefer(owner, "off")
    EVENTS[event](team, owner, actor)
    assert not OutboxMessage.objects.filter(event="work").exists()


@pytest.mark.parametrize("event", sorted(EVENTS))
def test_the_actor_is_never_told_of_their_own_action(event, team, owner):
    _prefer(owner, "immediate")
    EVENTS[event](team, owner, owner)
    assert not OutboxMessage.objects.filter(event="work").exists()


@pytest.mark.parametrize("event", sorted(EVENTS))
def test_nobody_is_told_of_a_private_object_they_cannot_see(event, owner, admin):
    # The owner left the private team: their former work is out of their sight.
    private = TeamFactory(is_private=True, name="Skunkworks")
    _prefer(owner, "immediate")
    assert not access_for(owner).can_view_team(private.pk)
    if event.startswith("action_item"):
        # Giving them an action item there is refused (strategy.access.assignees_check).
        with pytest.raises(ValidationError):
            EVENTS[event](private, owner, admin)
    else:
        EVENTS[event](private, owner, admin)
    assert not OutboxMessage.objects.filter(event="work").exists()


def test_initiative_contributors_are_told_too_but_not_the_contributor_who_acted(
    team, owner, member, actor
):
    other = UserFactory(username="cora")
    MembershipFactory(user=other, team=team)
    initiative = InitiativeFactory(objective__team=team, owner=owner)
    initiative.contributors.set([member, other])
    checkin_create(
        initiative=initiative, author=member, rag="green", confidence=80, progress=50, summary="ok"
    )
    told = set(OutboxMessage.objects.filter(event="work").values_list("recipient", flat=True))
    assert told == {owner.pk, other.pk}


def test_a_mention_is_told_once_as_a_mention_not_again_as_work(team, owner, actor):
    _prefer(owner, "immediate")
    objective = ObjectiveFactory(team=team, owner=owner)
    comment_post(subject=objective, author=actor, body="@olive can you look?")
    events = list(OutboxMessage.objects.filter(recipient=owner).values_list("event", flat=True))
    assert events == ["mention"]


def test_a_new_owner_and_the_previous_one_are_told_of_the_hand_over(team, owner, member, actor):
    made = ObjectiveFactory(team=team, owner=owner, title="Grow")
    objective = Objective.objects.get(pk=made.pk)
    objective.owner = member
    objective_save(objective=objective, by=actor)
    rows = OutboxMessage.objects.filter(event="work").order_by("recipient_id")
    assert {r.recipient_id for r in rows} == {owner.pk, member.pk}
    new = f"made {member.get_full_name()} the owner of objective “Grow”"
    assert all(new in r.subject for r in rows)


def test_an_action_item_handed_to_someone_else_tells_the_new_owner(team, owner, member, actor):
    item = action_item_create(title="Fix", owner=actor, due_date=TODAY, created_by=actor)
    assert not OutboxMessage.objects.filter(event="work").exists()  # given to themselves
    item = type(item).objects.get(pk=item.pk)
    item.owner = owner
    action_item_save(item=item, by=actor)
    assert [r.recipient_id for r in OutboxMessage.objects.filter(event="work")] == [owner.pk]


def test_an_unchanged_save_or_a_system_change_tells_nobody(team, owner, actor):
    objective = Objective.objects.get(pk=ObjectiveFactory(team=team, owner=owner).pk)
    objective_save(objective=objective, by=actor)  # nothing changed
    objective.title = "Renamed by a script"
    objective_save(objective=objective, by=None)  # no person acted
    assert not OutboxMessage.objects.filter(event="work").exists()


def test_a_batch_of_50_measurements_tells_each_owner_once(team, owner, member, leader):
    _prefer(owner, "immediate")
    kpis = [
        KPIFactory(objective__team=team, owner=owner if i < 3 else member, name=f"K{i}")
        for i in range(5)
    ]
    rows = [
        {"kpi": kpi.key, "as_of": (TODAY - dt.timedelta(days=d)).isoformat(), "value": 10 + d}
        for kpi in kpis
        for d in range(10)
    ]
    api = token_client(leader, ApiToken.Scope.WRITE_MEASUREMENTS)
    response = api.post("/api/v1/measurements/ingest/", {"measurements": rows}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 50
    work = OutboxMessage.objects.filter(event="work")
    assert sorted(work.values_list("recipient_id", flat=True)) == sorted([owner.pk, member.pk])
    mine = work.get(recipient=owner)
    assert mine.subject == f"[ExecSupport] {leader.get_full_name()} made 3 changes to your work"
    for i in range(3):
        assert f"recorded 10 values of KPI “K{i}” (the last as of {TODAY.isoformat()})" in (
            mine.body
        )
    assert "K3" not in mine.body
    # Re-sending the batch changes nothing, so tells nobody again.
    api.post("/api/v1/measurements/ingest/", {"measurements": rows}, format="json")
    assert work.count() == 2


def test_the_digest_renders_a_batch_for_the_access_the_owner_has_when_it_is_built(
    team, owner, leader, admin
):
    _prefer(owner, "digest")
    private = TeamFactory(is_private=True, name="Skunkworks")
    MembershipFactory(user=owner, team=private)
    seen = KPIFactory(objective__team=team, owner=owner, name="Seen KPI")
    secret = KPIFactory(objective__team=private, owner=owner, name="Secret KPI")
    rows = [{"kpi": kpi.key, "as_of": TODAY.isoformat(), "value": 5} for kpi in (seen, secret)]
    measurements_ingest(rows=rows, access=access_for(admin), entered_by=admin)
    [held] = _work(owner)
    assert "Secret KPI" in held.body  # they could see it then
    owner.memberships.filter(team=private).delete()
    digests_build(now=timezone.now() + dt.timedelta(minutes=1))
    digest = OutboxMessage.objects.get(recipient=owner, kind=OutboxMessage.Kind.DIGEST)
    assert "Seen KPI" in digest.body
    assert "a part you cannot see" in digest.body
    assert "Secret KPI" not in digest.body
    assert "Secret KPI" not in digest.html_body


def test_a_batch_tells_once_per_person_and_a_failed_one_tells_nobody(team, owner, actor):
    _prefer(owner, "immediate")
    first = ObjectiveFactory(team=team, owner=owner, title="A")
    second = ObjectiveFactory(team=team, owner=owner, title="B")
    with work_batch():
        comment_post(subject=first, author=actor, body="one")
        comment_post(subject=second, author=actor, body="two")
    [row] = _work(owner)
    assert "2 changes to your work" in row.subject
    assert "objective “A”" in row.body
    assert "objective “B”" in row.body

    def fails():
        with work_batch():
            comment_post(subject=first, author=actor, body="three")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fails()
    assert len(_work(owner)) == 1


# --- action items, milestones, spend, alerts (issue #16: what people were not told) ----------
def _titles(person) -> list[str]:
    return [r.subject.removeprefix("[ExecSupport] ") for r in _work(person)]


def test_an_action_item_closed_or_reopened_tells_its_owner_and_who_gave_it(
    team, owner, member, actor
):
    """Who gave it (``created_by``) asked for it: they hear when it is done, dropped or
    reopened, by its owner or anyone else; the one who acted never."""
    item = action_item_create(
        title="Call the bank", owner=owner, due_date=TODAY, created_by=member, team_id=team.pk
    )
    OutboxMessage.objects.all().delete()  # "Member gave you ...": not what is tested here
    action_item_set_status(item=item, status=ActionItem.Status.DONE, by=owner)
    assert (_titles(owner), _titles(member)) == (
        [],
        ["Olive Owner marked action item “Call the bank” done"],
    )
    action_item_set_status(item=item, status=ActionItem.Status.OPEN, by=actor)
    action_item_set_status(item=item, status=ActionItem.Status.DROPPED, by=actor)
    reopened, dropped = (
        "Lee Leader reopened action item “Call the bank”",
        ("Lee Leader dropped action item “Call the bank”"),
    )
    assert _titles(owner) == [reopened, dropped]
    assert _titles(member)[1:] == [reopened, dropped]
    assert "Status: Done → Open" in _work(owner)[0].body
    assert not _work(actor)
    # Setting the status it already has tells nobody; no person acting tells nobody.
    action_item_set_status(item=item, status=ActionItem.Status.DROPPED, by=actor)
    action_item_set_status(item=item, status=ActionItem.Status.OPEN, by=None)
    assert OutboxMessage.objects.filter(event="work").count() == 5


def test_an_action_item_turned_into_an_initiative_tells_its_owner(team, owner, leader, actor):
    objective = ObjectiveFactory(team=team, owner=leader)
    item = action_item_create(
        title="Open Oslo", owner=owner, due_date=TODAY, created_by=owner, team_id=team.pk
    )
    action_item_to_initiative(item=item, objective=objective, by=actor)
    assert _titles(owner) == [
        "Lee Leader turned action item “Open Oslo” into initiative “Open Oslo”"
    ]


def test_the_page_and_the_api_tell_of_an_action_items_status(client, team, owner, member, actor):
    item = action_item_create(
        title="Fix", owner=owner, due_date=TODAY, created_by=member, team_id=team.pk
    )
    OutboxMessage.objects.all().delete()  # "... gave you": not what is tested here
    client.force_login(actor)
    response = client.post(f"/reviews/action-items/{item.pk}/status/", {"status": "done"})
    assert response.status_code in (200, 302), response.content
    done = "Lee Leader marked action item “Fix” done"
    assert (_titles(owner), _titles(member)) == ([done], [done])
    api = APIClient()
    api.force_authenticate(owner)  # its owner reopens it: who gave it hears
    response = api.patch(f"/api/v1/action-items/{item.pk}/", {"status": "open"}, format="json")
    assert response.status_code == 200, response.content
    assert _titles(member) == [done, "Olive Owner reopened action item “Fix”"]
    assert _titles(owner) == [done]


def test_a_status_and_owner_changed_in_one_save_tell_the_new_owner_once(team, owner, member, actor):
    item = action_item_create(
        title="Fix", owner=owner, due_date=TODAY, created_by=owner, team_id=team.pk
    )
    item = ActionItem.objects.get(pk=item.pk)
    item.owner = member
    action_item_set_status(item=item, status=ActionItem.Status.DROPPED, by=actor)
    [given] = _work(member)
    assert given.subject.endswith("Lee Leader made 2 changes to your work")
    assert "Lee Leader gave you action item “Fix”" in given.body
    assert "Lee Leader dropped action item “Fix”" in given.body
    assert _titles(owner) == ["Lee Leader dropped action item “Fix”"]  # they gave it


def test_milestone_changes_tell_the_initiatives_owner_and_contributors(team, owner, member, actor):
    initiative = InitiativeFactory(objective__team=team, owner=owner, title="Launch")
    initiative.contributors.set([member])
    milestone = milestone_save(
        milestone=Milestone(initiative=initiative, title="Beta", due_date=TODAY), by=actor
    )
    milestone = Milestone.objects.select_related("initiative").get(pk=milestone.pk)
    milestone.due_date = TODAY + dt.timedelta(days=14)
    milestone_save(milestone=milestone, by=actor)
    milestone_set_completed(milestone=milestone, completed_on=TODAY, by=actor)
    milestone_set_completed(milestone=milestone, completed_on=None, by=actor)
    milestone.weight = Decimal("2")
    milestone_save(milestone=milestone, by=actor)
    milestone_save(milestone=milestone, by=actor)  # unchanged: nothing to tell
    milestone_delete(milestone=milestone, by=actor)
    of = "milestone “Beta” of initiative “Launch”"
    expected = [
        "Lee Leader added milestone “Beta” to initiative “Launch”",
        f"Lee Leader moved {of}",
        f"Lee Leader completed {of}",
        f"Lee Leader reopened {of}",
        f"Lee Leader edited {of}",
        f"Lee Leader deleted {of}",
    ]
    assert _titles(owner) == expected
    assert _titles(member) == expected
    moved = _work(owner)[1].body
    assert f"Due {TODAY.isoformat()} → {(TODAY + dt.timedelta(days=14)).isoformat()}." in moved
    assert "Changed: weight." in _work(owner)[4].body


def test_the_api_tells_of_milestone_changes_and_the_actor_hears_nothing(team, owner, leader):
    initiative = InitiativeFactory(objective__team=team, owner=owner, title="Launch")
    milestone = MilestoneFactory(initiative=initiative, title="Beta", due_date=TODAY)
    api = token_client(leader, ApiToken.Scope.WRITE_INITIATIVES)
    url = f"/api/v1/milestones/{milestone.pk}/"
    assert api.patch(url, {"completed_on": TODAY.isoformat()}, format="json").status_code == 200
    assert api.delete(url).status_code == 204
    name = leader.get_full_name()
    assert _titles(owner) == [
        f"{name} completed milestone “Beta” of initiative “Launch”",
        f"{name} deleted milestone “Beta” of initiative “Launch”",
    ]
    assert not _work(leader)


def test_spend_recorded_or_corrected_tells_the_initiatives_people(team, owner, member, actor):
    initiative = InitiativeFactory(objective__team=team, owner=owner, title="Launch")
    initiative.contributors.set([member])
    entry = spend_record(
        initiative=initiative,
        date=TODAY,
        amount=Decimal("-250.5"),
        category="travel",
        note="Refund",
        entered_by=member,
    )
    assert _titles(member) == []
    [row] = _work(owner)
    assert row.subject.endswith("recorded spend of -250.50 on initiative “Launch”")
    assert f"-250.50 on {TODAY.isoformat()} (travel).\nRefund" in row.body
    entry = SpendEntry.objects.select_related("initiative").get(pk=entry.pk)
    entry.amount = Decimal("-200")
    spend_save(entry=entry, by=actor)
    spend_save(entry=entry, by=actor)  # unchanged
    corrected = "Lee Leader corrected spend on initiative “Launch”"
    assert _titles(owner)[1:] == [corrected]
    assert _titles(member) == [corrected]
    assert "-250.50 → -200.00" in _work(member)[0].body


def test_an_api_spend_entry_tells_the_owner(team, owner, leader):
    initiative = InitiativeFactory(objective__team=team, owner=owner, title="Launch")
    api = token_client(leader, ApiToken.Scope.WRITE_INITIATIVES)
    body = {"initiative": initiative.pk, "date": TODAY.isoformat(), "amount": "99.00"}
    assert api.post("/api/v1/spend/", body, format="json").status_code == 201
    assert _titles(owner) == [
        f"{leader.get_full_name()} recorded spend of 99.00 on initiative “Launch”"
    ]


def test_an_alert_comment_tells_whom_it_is_routed_to_not_its_author_nor_those_mentioned(
    team, owner, member, actor
):
    alert = AlertFactory(team=team, owner=owner, title="KPI off track")
    comment_post(subject=alert, author=actor, body="@olive and @member: who takes this?")
    assert [r.event for r in OutboxMessage.objects.filter(recipient=owner)] == ["mention"]
    OutboxMessage.objects.all().delete()
    comment_post(subject=alert, author=owner, body="On it.")
    assert not OutboxMessage.objects.filter(event="work").exists()  # their own alert
    routed = AlertFactory(team=team, owner=member, title="No recent check-in")
    comment_post(subject=routed, author=actor, body="Please check in.")
    [row] = _work(member)
    assert _titles(member) == ["Lee Leader commented on the alert “No recent check-in”"]
    assert "Please check in." in row.body


def test_an_alert_comment_is_named_in_a_batch_by_its_subject_for_the_reader(team, owner, actor):
    """In a summary an alert's line is about its subject: shown to who may see it."""
    _prefer(owner, "immediate")
    kpi = KPIFactory(objective__team=team, owner=owner, name="NPS")
    alert = AlertFactory(
        team=team,
        owner=owner,
        subject_id=kpi.pk,
        title_parts=part("Off: {k}", k=ref("kpi", kpi.pk)),
    )
    with work_batch():
        comment_post(subject=alert, author=actor, body="one")
        comment_post(
            subject=ObjectiveFactory(team=team, owner=owner, title="A"), author=actor, body="two"
        )
    [row] = _work(owner)
    assert "commented on the alert “Off: KPI “NPS””" in row.body
    assert "objective “A”" in row.body


def test_an_import_tells_each_owner_once_of_its_milestones(team, owner, member, leader):
    """A plan import's new and changed milestones: one message per owner for the import, the
    contributors of the initiatives read once."""
    from sheets.plan_import import plan_import
    from tests.sheets.conftest import xlsx_bytes

    first = InitiativeFactory(objective__team=team, owner=owner, key="ini-a", title="A")
    second = InitiativeFactory(objective__team=team, owner=owner, key="ini-b", title="B")
    second.contributors.set([member])
    MilestoneFactory(initiative=first, title="Old", due_date=TODAY)
    due = (TODAY + dt.timedelta(days=30)).isoformat()
    book = {
        "Milestones": [
            ["initiative", "title", "due_date", "completed_on"],
            ["ini-a", "Old", due, None],
            ["ini-a", "New one", due, None],
            ["ini-b", "New two", due, None],
        ]
    }
    report = plan_import(
        stream=io.BytesIO(xlsx_bytes(book)), filename="m.xlsx", user=leader, apply=True
    )
    assert report.applied, report.errors
    [mine] = _work(owner)
    assert _titles(owner) == [f"{leader.get_full_name()} made 3 changes to your work"]
    for line in (
        "moved milestone “Old” of initiative “A”",
        "added milestone “New one” to initiative “A”",
        "added milestone “New two” to initiative “B”",
    ):
        assert line in mine.body
    [theirs] = _work(member)
    assert "added milestone “New two” to initiative “B”" in theirs.subject
