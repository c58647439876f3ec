"""The history of every change of the plan's definitions, read through strategy.access, and
undo (issue #16, "History of every change, with undo")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse
from tqdm import tqdm

from activity.history import TRACKED, history_for, history_restore
from demo.builder.base import BuilderBase
from initiatives.models import Initiative, Milestone
from initiatives.services import (
    checkin_create,
    initiative_delete,
    initiative_save,
    milestone_delete,
    milestone_save,
)
from metrics.models import KPI, Webhook
from metrics.services import kpi_delete, kpi_plan, kpi_save, webhook_delete, webhook_save
from strategy.access import access_for
from strategy.models import Membership, Objective, Period, Strategy, Team, Theme
from strategy.people_services import person_hand_over
from strategy.services import (
    objective_save,
    period_save,
    plan_object_delete,
    strategy_save,
    team_save,
    theme_save,
)
from tests.factories import (
    InitiativeFactory,
    KPIFactory,
    MembershipFactory,
    MilestoneFactory,
    ObjectiveFactory,
    PeriodFactory,
    StrategyFactory,
    TeamFactory,
    ThemeFactory,
    UserFactory,
    WebhookFactory,
    member_of,
)

pytestmark = pytest.mark.django_db


def kinds(model) -> list[str]:
    return list(
        model.history.order_by("history_date", "history_id").values_list("history_type", flat=True)
    )


def test_every_definition_kind_is_tracked():
    assert {k.model for k in TRACKED.values()} == {
        Strategy, Period, Theme, Team, Membership, Objective, Initiative, Milestone, KPI, Webhook,
    }  # fmt: skip


def _rename(obj, field: str, value):
    setattr(obj, field, value)
    return obj


def test_create_update_delete_of_plan_objects_each_recorded_once(company, admin):
    """Through the services every page, the API and the admin use: one version each."""
    period = period_save(period=PeriodFactory.build())
    period_save(period=_rename(Period.objects.get(pk=period.pk), "name", "Q9"))
    strategy = strategy_save(strategy=StrategyFactory.build())
    strategy_save(strategy=_rename(Strategy.objects.get(pk=strategy.pk), "name", "Grow"))
    theme = theme_save(theme=ThemeFactory.build(strategy=strategy))
    theme_save(theme=_rename(Theme.objects.get(pk=theme.pk), "name", "Customers"))
    team = team_save(team=TeamFactory.build(parent=company))
    team_save(team=_rename(Team.objects.get(pk=team.pk), "name", "Renamed"))
    objective = objective_save(
        objective=ObjectiveFactory.build(
            theme=theme, strategy=strategy, period=period, team=team, owner=admin
        ),
        by=admin,
    )
    objective_save(
        objective=_rename(Objective.objects.get(pk=objective.pk), "title", "T"), by=admin
    )
    initiative = initiative_save(
        initiative=InitiativeFactory.build(objective=objective, team=team, owner=admin)
    )
    initiative_save(initiative=_rename(Initiative.objects.get(pk=initiative.pk), "title", "I"))
    milestone = milestone_save(milestone=MilestoneFactory.build(initiative=initiative))
    milestone_save(milestone=_rename(Milestone.objects.get(pk=milestone.pk), "title", "M"))
    kpi = KPIFactory(objective=objective, team=team)
    stored = KPI.objects.get(pk=kpi.pk)
    kpi_save(kpi=_rename(stored, "name", "N"), changed_by=admin, previous_plan=kpi_plan(kpi=stored))
    webhook = webhook_save(webhook=WebhookFactory.build(owner=admin, secret=""))
    webhook_save(webhook=_rename(Webhook.objects.get(pk=webhook.pk), "name", "Chat"))

    milestone_delete(milestone=Milestone.objects.get(pk=milestone.pk))
    kpi_delete(kpi=KPI.objects.get(pk=kpi.pk))
    initiative_delete(initiative=Initiative.objects.get(pk=initiative.pk))
    plan_object_delete(instance=Objective.objects.get(pk=objective.pk))
    webhook_delete(webhook=Webhook.objects.get(pk=webhook.pk))

    for model in (Objective, Initiative, Milestone, Webhook):
        assert kinds(model) == ["+", "~", "-"], model
    assert kinds(KPI) == ["+", "~", "-"]
    for model in (Period, Strategy, Theme):
        assert kinds(model) == ["+", "~"], model
    assert Team.history.filter(id=team.pk).count() == 2
    assert Objective.history.filter(history_type="~").get().history_user == admin


def test_a_save_that_changes_nothing_records_nothing(company):
    objective = ObjectiveFactory()
    before = Objective.history.count()
    objective_save(objective=Objective.objects.get(pk=objective.pk))
    assert Objective.history.count() == before


def test_memberships_are_recorded_also_when_their_team_is_deleted(company):
    team = TeamFactory(parent=company)
    membership = MembershipFactory(team=team, user=UserFactory())
    membership.role = Membership.Role.LEADER
    membership.save()
    team.delete()  # cascades to the membership
    assert list(Membership.history.order_by("history_id").values_list("history_type", "role")) == [
        ("+", "member"),
        ("~", "leader"),
        ("-", "leader"),
    ]


def test_check_ins_do_not_enter_the_initiative_history(company, admin):
    """Progress comes from check-ins, which keep their own record."""
    initiative = InitiativeFactory()
    before = Initiative.history.count()
    checkin_create(
        initiative=initiative, author=admin, rag="green", confidence=3, progress=70, summary="ok"
    )
    assert Initiative.history.count() == before
    assert "progress" not in {f.name for f in Initiative.history.model._meta.fields}


def test_a_webhook_secret_never_enters_history(admin):
    webhook = webhook_save(webhook=WebhookFactory.build(owner=admin, secret=""))
    assert "secret" not in {f.name for f in Webhook.history.model._meta.fields}
    assert webhook.new_secret not in str(list(Webhook.history.values()))


def test_hand_over_records_each_moved_definition_once(company, admin):
    """The bulk path: a set-based update, and one history row per moved row."""
    leaving, successor = UserFactory(), member_of()
    objectives = [ObjectiveFactory(owner=leaving) for _ in range(3)]
    initiative = InitiativeFactory(owner=leaving, objective=objectives[0])
    kpi = KPIFactory(owner=leaving, objective=objectives[1])
    marks = {m: m.history.count() for m in (Objective, Initiative, KPI)}

    person_hand_over(leaving=leaving, successor=successor, by=admin)

    for model, count in ((Objective, 3), (Initiative, 1), (KPI, 1)):
        rows = list(model.history.order_by("-history_id")[:count])
        assert model.history.count() == marks[model] + count
        assert {r.owner_id for r in rows} == {successor.pk}
        assert {r.history_user_id for r in rows} == {admin.pk}
        assert all(r.history_change_reason.startswith("Handed over") for r in rows)
    assert {r.id for r in Objective.history.filter(history_type="~")} == {o.pk for o in objectives}
    assert Initiative.history.filter(history_type="~").get().id == initiative.pk
    assert KPI.history.filter(history_type="~").get().id == kpi.pk


def test_the_demo_builder_bulk_inserts_record_history(company):
    builder = BuilderBase(seed=1, today=dt.date(2026, 6, 1), scale=1, bar=tqdm(disable=True))
    rows = [TeamFactory.build(parent=company) for _ in range(3)]
    builder.insert(Team, rows)
    assert set(Team.history.filter(history_type="+").values_list("id", flat=True)) >= {
        t.pk for t in rows
    }
    for t in rows:
        t.description = "updated in bulk"
    builder.insert_updates(Team, rows, ["description"])
    assert Team.history.filter(history_type="~", description="updated in bulk").count() == 3


def test_history_is_read_only_in_the_admin(client, company):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    objective = ObjectiveFactory()
    row = Objective.history.get(id=objective.pk)
    for tracked in TRACKED.values():
        model_admin = admin.site._registry[tracked.history_model]
        assert not model_admin.has_add_permission(None)
        assert not model_admin.has_change_permission(None, None)
        assert not model_admin.has_delete_permission(None, None)
    client.force_login(root)
    url = reverse("admin:strategy_historicalobjective_change", args=[row.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"title": "Rewritten history"})
    row.refresh_from_db()
    assert row.title == objective.title
    delete = reverse("admin:strategy_historicalobjective_delete", args=[row.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Objective.history.filter(pk=row.pk).exists()


# --- pages: who, what, undo -----------------------------------------------------------------
@pytest.fixture
def objective(team, leader):
    return ObjectiveFactory(team=team, title="Win the Nordics", owner=leader)


def _edit(client, objective, **changes):
    objective.refresh_from_db()
    data = {
        "title": objective.title,
        "description": objective.description,
        "theme": objective.theme_id,
        "period": objective.period_id,
        "team": objective.team_id,
        "parent": "",
        "owner": objective.owner_id or "",
        "weight": objective.weight,
        "priority": objective.priority,
        "status": objective.status,
        "start_date": objective.start_date,
        "due_date": objective.due_date,
        "seen_version": objective.version,
    }
    data.update(changes)
    return client.post(reverse("strategy:objective-edit", args=[objective.pk]), data)


def test_the_history_tab_shows_field_before_after_who_and_when(client, leader, objective):
    client.force_login(leader)
    assert _edit(client, objective, title="Win the Nordics and Baltics").status_code == 302
    page = client.get(reverse("activity:history", args=["objective", objective.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Win the Nordics</td><td>Win the Nordics and Baltics" in html
    assert f"by {leader.first_name} {leader.last_name}" in html
    assert "Restore this version" not in html  # only the strategy office restores
    detail = client.get(objective.get_absolute_url()).content.decode()
    assert reverse("activity:history", args=["objective", objective.pk]) in detail


def test_an_api_change_names_the_token_person(leader, objective):
    from tests.api.conftest import token_client

    client = token_client(leader, "admin")
    response = client.patch(
        f"/api/v1/objectives/{objective.pk}/", {"title": "Through the API"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert Objective.history.filter(id=objective.pk).first().history_user == leader


def test_office_restores_an_earlier_version_and_the_restore_is_recorded(
    client, admin, leader, objective
):
    client.force_login(leader)
    _edit(client, objective, title="Renamed by mistake", priority=4)
    first = Objective.history.filter(id=objective.pk).earliest()
    client.force_login(admin)
    url = reverse("activity:history-restore", args=["objective", objective.pk, first.history_id])
    objective.refresh_from_db()
    response = client.post(url, {"version": objective.version})
    assert response.status_code == 302
    objective.refresh_from_db()
    assert (objective.title, objective.priority) == ("Win the Nordics", 2)
    newest = Objective.history.filter(id=objective.pk).latest()
    assert newest.history_user == admin
    assert newest.history_change_reason.startswith("Restored the version of")
    assert Objective.history.filter(id=objective.pk).count() == 3
    page = client.get(reverse("activity:history", args=["objective", objective.pk])).content
    assert b"Restored the version of" in page


def test_restore_refuses_a_stale_form_and_non_office(client, admin, leader, objective):
    client.force_login(leader)
    _edit(client, objective, title="Second")
    first = Objective.history.filter(id=objective.pk).earliest()
    url = reverse("activity:history-restore", args=["objective", objective.pk, first.history_id])
    assert client.post(url, {}).status_code == 403
    client.force_login(admin)
    client.post(url, {"version": 1})  # read before the leader's edit
    objective.refresh_from_db()
    assert objective.title == "Second"
    with pytest.raises(Exception, match="strategy office"):
        history_restore(
            kind="objective",
            pk=objective.pk,
            history_id=first.history_id,
            by=leader,
            access=access_for(leader),
        )


def test_restoring_a_kpi_plan_records_a_target_revision(admin, company):
    kpi = KPIFactory()
    stored = KPI.objects.get(pk=kpi.pk)
    plan = kpi_plan(kpi=stored)
    stored.target_value = kpi.target_value + 5
    kpi_save(kpi=stored, changed_by=admin, reason="Raised", previous_plan=plan)
    first = KPI.history.filter(id=kpi.pk).earliest()
    history_restore(
        kind="kpi", pk=kpi.pk, history_id=first.history_id, by=admin, access=access_for(admin)
    )
    kpi.refresh_from_db()
    assert kpi.target_value == first.target_value
    assert kpi.target_revisions.latest("id").reason.startswith("Restored the version of")


# --- privacy --------------------------------------------------------------------------------
def test_outsiders_and_other_teams_cannot_read_a_private_objects_history(
    client, company, outsider, leader
):
    secret_team = TeamFactory(parent=company, is_private=True, name="Skunkworks")
    secret = ObjectiveFactory(team=secret_team, title="Canary-Secret-Plan")
    url = reverse("activity:history", args=["objective", secret.pk])
    for person in (outsider, leader):
        client.force_login(person)
        assert client.get(url).status_code == 404


def test_old_values_of_a_private_object_stay_private_after_it_moved_and_the_team_opened(
    client, company, team, leader, admin
):
    """Recorded in a private team the reader has no role on: sealed, also once the object is
    in the reader's team and once the private team is made public."""
    secret_team = team_save(team=TeamFactory.build(parent=company, is_private=True))
    objective = objective_save(
        objective=ObjectiveFactory.build(
            team=secret_team,
            title="Canary-Secret-Plan",
            description="Canary-Secret-Budget",
            theme=(theme := ThemeFactory()),
            strategy=theme.strategy,
            period=PeriodFactory(),
            owner=admin,
        ),
        by=admin,
    )
    moved = Objective.objects.get(pk=objective.pk)
    moved.team, moved.title, moved.description = team, "Public plan", ""
    objective_save(objective=moved, by=admin)
    url = reverse("activity:history", args=["objective", objective.pk])

    client.force_login(leader)
    html = client.get(url).content.decode()
    assert "Public plan" in html
    assert "Canary-Secret" not in html
    assert "its values stay private" in html

    opened = Team.objects.get(pk=secret_team.pk)
    opened.is_private = False
    team_save(team=opened)
    html = client.get(url).content.decode()
    assert "Canary-Secret" not in html
    history = history_for(kind="objective", pk=objective.pk, access=access_for(leader))
    assert [v.sealed for v in history.versions] == [False, True]

    client.force_login(admin)  # the strategy office sees every version
    assert "Canary-Secret-Plan" in client.get(url).content.decode()


def test_a_team_member_reads_the_versions_of_their_private_team(client, company):
    secret_team = TeamFactory(parent=company, is_private=True)
    insider = UserFactory()
    MembershipFactory(user=insider, team=secret_team)
    objective = ObjectiveFactory(team=secret_team, title="Canary-Insider")
    client.force_login(insider)
    html = client.get(reverse("activity:history", args=["objective", objective.pk])).content
    assert b"Canary-Insider" in html


def test_a_hidden_parent_is_not_named(client, company, team, leader):
    secret_team = TeamFactory(parent=company, is_private=True)
    hidden_parent = ObjectiveFactory(team=secret_team, title="Canary-Hidden-Parent")
    child = ObjectiveFactory(team=team, theme=hidden_parent.theme, strategy=hidden_parent.strategy)
    child.parent = hidden_parent
    objective_save(objective=child)
    client.force_login(leader)
    html = client.get(reverse("activity:history", args=["objective", child.pk])).content.decode()
    assert "Canary-Hidden-Parent" not in html
    assert "a part you cannot see" in html


def test_a_webhook_history_is_its_owners_and_the_offices(client, company, leader, member, admin):
    webhook = webhook_save(webhook=WebhookFactory.build(owner=leader, secret=""))
    url = reverse("activity:history", args=["webhook", webhook.pk])
    client.force_login(member)
    assert client.get(url).status_code == 404
    for person in (leader, admin):
        client.force_login(person)
        assert client.get(url).status_code == 200


def test_unknown_kinds_and_objects_are_not_found(client, leader):
    client.force_login(leader)
    assert client.get("/history/user/1/").status_code == 404
    assert client.get("/history/objective/999999/").status_code == 404


# --- speed ----------------------------------------------------------------------------------
@pytest.mark.parametrize("edits", [2, 12])
def test_history_tab_query_count_does_not_grow_with_versions(
    client, django_assert_num_queries, company, team, leader, edits
):
    objective = ObjectiveFactory(team=team, owner=leader)
    for n in range(edits):
        stored = Objective.objects.get(pk=objective.pk)
        stored.title = f"Title {n}"
        stored.weight = Decimal(n + 1)
        stored.owner = member_of(team)
        objective_save(objective=stored, by=leader)
    client.force_login(leader)
    client.get("/overview/")  # warm the session
    # session, user, office group, memberships, teams (access), versions with their authors,
    # the object, the teams (chains and privacy now), their history; names of strategies,
    # themes, periods, teams and people
    with django_assert_num_queries(14):
        response = client.get(reverse("activity:history", args=["objective", objective.pk]))
    assert response.status_code == 200
    assert response.content.decode().count("history__version") == edits + 1


def test_membership_services_record_each_change_once(company, team, admin):
    from strategy.people_services import membership_remove, membership_set

    person = UserFactory()
    membership = membership_set(person=person, team=team, role="member", by=admin)
    membership_set(person=person, team=team, role="member", by=admin)  # no change
    membership_set(person=person, team=team, role="leader", by=admin)
    membership_remove(membership=Membership.objects.get(pk=membership.pk), by=admin)
    assert list(
        Membership.history.filter(id=membership.pk)
        .order_by("history_id")
        .values_list("history_type", "role")
    ) == [("+", "member"), ("~", "leader"), ("-", "leader")]


def test_the_initiative_page_links_each_milestone_history(client, team, leader):
    milestone = MilestoneFactory(initiative=InitiativeFactory(objective__team=team, team=team))
    client.force_login(leader)
    html = client.get(milestone.initiative.get_absolute_url()).content.decode()
    url = reverse("activity:history", args=["milestone", milestone.pk])
    assert url in html
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("sent", [{}, {"version": "abc"}, {"version": ""}, {"version": "0"}])
def test_restore_refuses_a_missing_or_garbage_version_like_a_stale_one(
    client, admin, leader, objective, sent
):
    client.force_login(leader)
    _edit(client, objective, title="Second")
    first = Objective.history.filter(id=objective.pk).earliest()
    client.force_login(admin)
    url = reverse("activity:history-restore", args=["objective", objective.pk, first.history_id])
    response = client.post(url, sent, follow=True)
    objective.refresh_from_db()
    assert objective.title == "Second"
    assert Objective.history.filter(id=objective.pk).count() == 2
    assert b"Nothing was restored" in response.content
    assert b"is restored" not in response.content


def test_restoring_the_current_version_says_nothing_changed(client, admin, objective):
    client.force_login(admin)
    newest = Objective.history.filter(id=objective.pk).latest()
    url = reverse("activity:history-restore", args=["objective", objective.pk, newest.history_id])
    objective.refresh_from_db()
    response = client.post(url, {"version": objective.version}, follow=True)
    assert b"nothing changed" in response.content
    assert b"is restored" not in response.content
    assert Objective.history.filter(id=objective.pk).count() == 1


def test_restore_puts_back_an_earlier_version_of_every_renamable_kind(company, admin):
    """Undo goes through each kind's own save service (``activity.history.undo._save``)."""
    period = period_save(period=PeriodFactory.build(name="Q1"))
    strategy = strategy_save(strategy=StrategyFactory.build(name="Old strategy"))
    theme = theme_save(theme=ThemeFactory.build(strategy=strategy, name="Old theme"))
    team = team_save(team=TeamFactory.build(parent=company, name="Old team"))
    objective = objective_save(
        objective=ObjectiveFactory.build(
            theme=theme, strategy=strategy, period=period, team=team, owner=admin, title="Old"
        ),
        by=admin,
    )
    initiative = initiative_save(
        initiative=InitiativeFactory.build(objective=objective, team=team, owner=admin, title="Old")
    )
    milestone = milestone_save(milestone=MilestoneFactory.build(initiative=initiative, title="Old"))
    webhook = webhook_save(webhook=WebhookFactory.build(owner=admin, secret="", name="Old hook"))
    cases = [
        ("period", Period, period, "name", period_save, "period"),
        ("strategy", Strategy, strategy, "name", strategy_save, "strategy"),
        ("theme", Theme, theme, "name", theme_save, "theme"),
        ("team", Team, team, "name", team_save, "team"),
        ("milestone", Milestone, milestone, "title", milestone_save, "milestone"),
        ("webhook", Webhook, webhook, "name", webhook_save, "webhook"),
        ("initiative", Initiative, initiative, "title", initiative_save, "initiative"),
    ]
    for kind, model, obj, field, save, argument in cases:
        old = getattr(obj, field)
        save(**{argument: _rename(model.objects.get(pk=obj.pk), field, "New")})
        first = model.history.filter(id=obj.pk).earliest()
        restored = history_restore(
            kind=kind, pk=obj.pk, history_id=first.history_id, by=admin, access=access_for(admin)
        )
        assert restored is not None, kind
        assert getattr(model.objects.get(pk=obj.pk), field) == old, kind
        latest = model.history.filter(id=obj.pk).latest()
        assert latest.history_change_reason.startswith("Restored the version of"), kind
