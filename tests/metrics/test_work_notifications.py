"""Notifications of action on someone's work (issue #16, "Notifications people want"): each kind
of event tells the people whose work it is once, per their ``work`` preference (at once, in the
daily digest, or off), never the person who acted, never someone who may not see the object;
a batch tells each owner once (``metrics.work``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from activity.comments import comment_post
from initiatives.services import checkin_create, initiative_save
from metrics.digest import digests_build
from metrics.models import KPI, OutboxMessage
from metrics.notifications import outbox_attempt
from metrics.preferences import preferences_update
from metrics.services import kpi_plan, kpi_save, measurement_record, measurements_ingest
from metrics.work import work_batch
from reviews.services import action_item_create, action_item_save
from strategy.access import access_for
from strategy.models import ApiToken, Objective
from strategy.services import objective_save
from tests.api.conftest import token_client
from tests.factories import (
    InitiativeFactory,
    KPIFactory,
    MembershipFactory,
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


EVENTS = {
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
