"""Initiative pages and My work: permissions (same rules as the API, from strategy.access),
check-ins and milestones through the services, edit forms that keep what was typed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from initiatives.models import CheckIn, Initiative, Milestone
from metrics.models import KPI
from tests.factories import (
    CheckInFactory,
    InitiativeFactory,
    MembershipFactory,
    MilestoneFactory,
    ObjectiveFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

VALID = {
    "rag": "amber",
    "confidence": "70",
    "progress": "45",
    "summary": "Vendor signed; pilot starts Monday.",
    "blockers": "",
    "next_steps": "Onboard the first ten customers.",
}


@pytest.fixture
def mine(team, member):
    return InitiativeFactory(objective=ObjectiveFactory(team=team), owner=member, team=team)


@pytest.fixture
def theirs(other_team):
    return InitiativeFactory(objective=ObjectiveFactory(team=other_team), team=other_team)


def checkin_url(initiative):
    return reverse("initiatives:checkin-new", args=[initiative.pk])


def test_member_posts_a_checkin_on_their_initiative(client, member, mine):
    client.force_login(member)
    response = client.post(checkin_url(mine), VALID)
    assert response.status_code == 302
    checkin = CheckIn.objects.get(initiative=mine)
    assert (checkin.author, checkin.rag, checkin.progress) == (member, "amber", 45)
    mine.refresh_from_db()
    assert mine.progress == 45  # through checkin_create
    page = client.get(mine.get_absolute_url()).content.decode()
    assert "Vendor signed; pilot starts Monday." in page


def test_viewer_cannot_post_a_checkin(client, viewer, mine):
    client.force_login(viewer)
    assert client.post(checkin_url(mine), VALID).status_code == 403
    assert not CheckIn.objects.exists()
    page = client.get(mine.get_absolute_url()).content.decode()
    assert "Post check-in" not in page


def test_member_cannot_post_on_an_initiative_they_do_not_work_on(client, member, team):
    other = InitiativeFactory(objective=ObjectiveFactory(team=team), team=team)
    client.force_login(member)
    assert client.post(checkin_url(other), VALID).status_code == 403


def test_contributor_may_post_a_checkin(client, member, team):
    initiative = InitiativeFactory(objective=ObjectiveFactory(team=team), team=team)
    initiative.contributors.add(member)
    client.force_login(member)
    assert client.post(checkin_url(initiative), VALID).status_code == 302


def test_htmx_checkin_returns_the_refreshed_card(client, member, mine):
    client.force_login(member)
    response = client.post(checkin_url(mine), VALID, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<article")
    assert "Check-in saved." in html
    assert "Vendor signed" in html


def test_invalid_checkin_shows_errors_and_keeps_the_input(client, member, mine):
    client.force_login(member)
    bad = {**VALID, "rag": "", "summary": "   ", "confidence": "140"}
    response = client.post(checkin_url(mine), bad, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "Choose a status: green, amber or red." in html
    assert "Write a short summary" in html
    assert "Ensure this value is less than or equal to 100." in html
    assert 'value="45"' in html  # progress kept
    assert "Onboard the first ten customers." in html  # next steps kept
    assert not CheckIn.objects.exists()
    # Without JavaScript the initiative page shows the same errors (400).
    response = client.post(checkin_url(mine), bad)
    assert response.status_code == 400
    assert "Write a short summary" in response.content.decode()


def test_member_completes_and_reopens_a_milestone(client, member, mine):
    milestone = MilestoneFactory(initiative=mine, due_date=timezone.localdate())
    url = reverse("initiatives:milestone-complete", args=[milestone.pk])
    client.force_login(member)
    response = client.post(url, {"from": "my-work"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "completed." in response.content.decode()
    milestone.refresh_from_db()
    assert milestone.completed_on == timezone.localdate()
    client.post(url, {"reopen": "1"})
    milestone.refresh_from_db()
    assert milestone.completed_on is None


def test_viewer_cannot_complete_a_milestone(client, viewer, mine):
    milestone = MilestoneFactory(initiative=mine)
    client.force_login(viewer)
    url = reverse("initiatives:milestone-complete", args=[milestone.pk])
    assert client.post(url).status_code == 403
    milestone.refresh_from_db()
    assert milestone.completed_on is None


def test_member_cannot_edit_another_teams_initiative(client, member, theirs):
    client.force_login(member)
    url = reverse("initiatives:initiative-edit", args=[theirs.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"title": "Hijacked"}).status_code == 403
    theirs.refresh_from_db()
    assert theirs.title != "Hijacked"


def test_the_owner_edits_their_fields_and_not_the_definition(client, member, leader, mine):
    """Issue #15: an initiative's owner edits its description, contributors, check-in cadence
    and progress on the page; dates, budget, priority and status stay with leaders (shown,
    disabled; a posted value is ignored)."""
    helper = UserFactory(first_name="Hana", last_name="Sato")
    MembershipFactory(user=helper, team=mine.team)
    client.force_login(member)
    url = reverse("initiatives:initiative-edit", args=[mine.pk])
    form = client.get(url).context["form"]
    assert sorted(n for n, f in form.fields.items() if not f.disabled) == [
        "checkin_cadence_days",
        "contributors",
        "description",
        "progress",
        "seen_version",
    ]
    before = (mine.title, mine.due_date, mine.budget_planned, mine.priority, mine.status)
    data = _edit_data(
        mine,
        description="Now with the Lyon partner.",
        contributors=[helper.pk],
        checkin_cadence_days=14,
        progress=35,
        title="Taken over",
        due_date="2031-01-01",
        budget_planned="9999999",
        status="done",
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    mine.refresh_from_db()
    assert mine.description == "Now with the Lyon partner."
    assert list(mine.contributors.all()) == [helper]
    assert (mine.checkin_cadence_days, mine.progress) == (14, 35)
    assert (mine.title, mine.due_date, mine.budget_planned, mine.priority, mine.status) == before
    page = client.get(mine.get_absolute_url()).content.decode()
    assert url in page  # the owner is offered the edit page


def test_a_contributor_or_viewer_does_not_get_the_edit_page(client, team, mine, viewer):
    helper = UserFactory()
    MembershipFactory(user=helper, team=team)
    mine.contributors.add(helper)
    url = reverse("initiatives:initiative-edit", args=[mine.pk])
    for person in (helper, viewer):
        client.force_login(person)
        assert client.get(url).status_code == 403
        assert client.post(url, _edit_data(mine, description="x")).status_code == 403
    mine.refresh_from_db()
    assert mine.description != "x"


def test_the_owner_plans_milestones(client, member, mine):
    client.force_login(member)
    due = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    new = reverse("initiatives:milestone-new", args=[mine.pk])
    assert client.post(new, {"title": "Beta", "due_date": due, "weight": "2"}).status_code == 302
    milestone = Milestone.objects.get(initiative=mine, title="Beta")
    edit = reverse("initiatives:milestone-edit", args=[mine.pk, milestone.pk])
    assert client.post(edit, {"title": "Beta 2", "due_date": due, "weight": "1"}).status_code == 302
    milestone.refresh_from_db()
    assert milestone.title == "Beta 2"


def test_hidden_initiative_is_not_found(client, member):
    secret_team = TeamFactory(is_private=True)
    secret = InitiativeFactory(objective=ObjectiveFactory(team=secret_team), team=secret_team)
    client.force_login(member)
    assert client.get(secret.get_absolute_url()).status_code == 404
    assert client.post(checkin_url(secret), VALID).status_code == 404


def _edit_data(initiative: Initiative, **changes) -> dict:
    data = {
        "title": initiative.title,
        "description": "",
        "objective": initiative.objective_id,
        "team": initiative.team_id,
        "owner": initiative.owner_id or "",
        "status": initiative.status,
        "priority": initiative.priority,
        "start_date": initiative.start_date.isoformat(),
        "due_date": initiative.due_date.isoformat(),
        "progress": initiative.progress,
        "budget_planned": "250000",
        "effort_planned_fte": "3",
        "checkin_cadence_days": 7,
        "weight": "1",
    }
    data.update(changes)
    return data


def test_leader_edits_an_initiative(client, leader, mine):
    client.force_login(leader)
    url = reverse("initiatives:initiative-edit", args=[mine.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, _edit_data(mine, title="Pilot in Lyon"))
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.title, mine.checkin_cadence_days) == ("Pilot in Lyon", 7)


def test_invalid_edit_shows_inline_errors_and_keeps_input(client, leader, mine):
    client.force_login(leader)
    url = reverse("initiatives:initiative-edit", args=[mine.pk])
    data = _edit_data(mine, title="Renamed pilot", due_date="2020-01-01", progress="130")
    response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "The due date must be after the start date." in html
    assert "less than or equal to 100" in html
    assert 'value="Renamed pilot"' in html
    mine.refresh_from_db()
    assert mine.title != "Renamed pilot"


def test_leader_cannot_move_an_initiative_to_a_team_they_do_not_lead(
    client, leader, mine, other_team
):
    client.force_login(leader)
    url = reverse("initiatives:initiative-edit", args=[mine.pk])
    response = client.post(url, _edit_data(mine, team=other_team.pk))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    mine.refresh_from_db()
    assert mine.team_id != other_team.pk


def test_leader_adds_and_edits_a_milestone(client, leader, member, mine):
    client.force_login(leader)
    new = reverse("initiatives:milestone-new", args=[mine.pk])
    due = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    response = client.post(new, {"title": "Beta", "due_date": due, "weight": "2"})
    assert response.status_code == 302
    milestone = Milestone.objects.get(initiative=mine, title="Beta")
    edit = reverse("initiatives:milestone-edit", args=[mine.pk, milestone.pk])
    response = client.post(edit, {"title": "", "due_date": due, "weight": "2"})
    assert "This field is required." in response.content.decode()
    contributor = UserFactory()
    MembershipFactory(user=contributor, team=mine.team)
    mine.contributors.add(contributor)
    client.force_login(contributor)  # completes milestones, does not plan them
    assert client.get(edit).status_code == 403


def test_my_work_puts_what_needs_attention_first(client, member, team):
    objective = ObjectiveFactory(team=team)
    today = timezone.localdate()
    calm = InitiativeFactory(objective=objective, team=team, owner=member, title="Calm")
    CheckIn.objects.create(
        initiative=calm, author=member, rag="green", confidence=90, progress=50, summary="fine"
    )
    late = InitiativeFactory(objective=objective, team=team, owner=member, title="Late")
    MilestoneFactory(initiative=late, due_date=today - dt.timedelta(days=3))
    client.force_login(member)
    html = client.get(reverse("initiatives:my-work")).content.decode()
    assert html.index(">Late<") < html.index(">Calm<")
    assert "1 milestone overdue" in html
    assert "No check-in yet" in html


def test_my_work_shows_only_my_initiatives(client, member, team):
    objective = ObjectiveFactory(team=team)
    InitiativeFactory(objective=objective, team=team, owner=member, title="Mine")
    InitiativeFactory(objective=objective, team=team, owner=UserFactory(), title="Someone else's")
    MembershipFactory(user=UserFactory(), team=team)
    client.force_login(member)
    html = client.get(reverse("initiatives:my-work")).content.decode()
    assert "Mine" in html
    assert "Someone else" not in html


def test_leader_creates_an_initiative_under_an_objective(client, leader, member, mine):
    client.force_login(leader)
    url = reverse("initiatives:initiative-new")
    page = client.get(url, {"objective": mine.objective_id}).content.decode()
    assert f'<option value="{mine.objective_id}" selected>' in page
    data = _edit_data(mine, title="Second pilot")
    response = client.post(url, data)
    assert response.status_code == 302
    created = Initiative.objects.get(title="Second pilot")
    assert (created.objective_id, created.team_id) == (mine.objective_id, mine.team_id)
    client.force_login(member)
    assert client.get(url).status_code == 403


def test_initiative_page_explains_its_score(client, viewer, mine):
    from metrics.models import SubjectType
    from tests.factories import GapScoreFactory

    GapScoreFactory(
        subject_type=SubjectType.INITIATIVE,
        subject_id=mine.pk,
        status="off_track",
        reason="Health 53/100; behind mainly because of Schedule (-25 points).",
        components={
            "items": [
                {
                    "key": "schedule",
                    "label": "Schedule",
                    "score": 30.0,
                    "weight": 0.5,
                    "status": "off_track",
                    "detail": "13 % delivered with 45 % of the time elapsed",
                }
            ]
        },
        contributors=[
            {
                "label": "Schedule",
                "gap_points": 25.2,
                "explanation": "Schedule: 13 % delivered with 45 % of the time elapsed",
            }
        ],
    )
    client.force_login(viewer)
    html = client.get(mine.get_absolute_url()).content.decode()
    assert "What makes up this score" in html
    assert "13 % delivered with 45 % of the time elapsed" in html
    assert "25.2 pts" in html
    # The scored progress is not the reported one (the card above): it is named for what it is.
    assert "Delivered</dt>" in html
    assert "the reported progress (no milestones)" in html
    MilestoneFactory(initiative=mine)
    html = client.get(mine.get_absolute_url()).content.decode()
    assert "reported progress and milestones done, averaged" in html


def test_my_work_flags_checkins_by_the_stale_rule(client, member, team):
    objective = ObjectiveFactory(team=team)
    now = timezone.now()
    for title, days in (("Due soon", 20), ("Stale", 22)):
        initiative = InitiativeFactory(objective=objective, team=team, owner=member, title=title)
        CheckInFactory(initiative=initiative, created_at=now - dt.timedelta(days=days))
    client.force_login(member)
    html = client.get(reverse("initiatives:my-work")).content.decode()
    # Cadence 14: stale after 14 x GAP_STALE_GRACE (1.5) = 21 days, as the alerts say.
    assert "Last check-in 22 days ago" in html
    assert "Last check-in 20 days ago" not in html


def test_my_work_flags_kpis_by_the_engines_stale_rule(client, member, team):
    """The KPI rule of the scores (metrics.scoring.quality.kpi_is_stale): cadence x
    GAP_STALE_GRACE days, and the clock stops at the target date."""
    from tests.factories import KPIFactory, MeasurementFactory

    today = timezone.localdate()
    objective = ObjectiveFactory(team=team)
    cases = {  # name: (days since the last value, target date)
        "Measured 44 days ago": (44, today + dt.timedelta(days=90)),
        "Measured 46 days ago": (46, today + dt.timedelta(days=90)),
        "Final value on time": (100, today - dt.timedelta(days=90)),
        "Never measured": (None, today + dt.timedelta(days=90)),
    }
    for name, (days, target) in cases.items():
        kpi = KPIFactory(
            objective=objective,
            team=team,
            owner=member,
            name=name,
            cadence_days=30,
            baseline_date=today - dt.timedelta(days=400),
            target_date=target,
        )
        if days is not None:
            MeasurementFactory(kpi=kpi, as_of=today - dt.timedelta(days=days))
    # Created long ago: a new KPI gets one cadence of grace (the same rule, issue #14).
    KPI.objects.filter(objective=objective).update(
        created_at=timezone.now() - dt.timedelta(days=400)
    )
    client.force_login(member)
    response = client.get(reverse("initiatives:my-work"))
    stale = {kpi.name for kpi in response.context["kpis"] if kpi.stale}
    assert stale == {"Measured 46 days ago", "Never measured"}
    assert "never measured" in response.content.decode()
