"""Every page: login required, landing per role, constant queries, renders before scoring, CSP."""

from __future__ import annotations

import pytest
from django.urls import reverse

from metrics.models import GapScore
from tests.pages import plan_grow
from tests.plan_data import plan_build

pytestmark = pytest.mark.django_db


def page_urls(plan) -> dict[str, str]:
    return {
        "overview": reverse("strategy:overview"),
        "review": reverse("strategy:review"),
        "objective": plan.objectives[0].get_absolute_url(),
        "initiative": plan.initiatives[0].get_absolute_url(),
        "kpi": plan.kpis[0].get_absolute_url(),
        "my-work": reverse("initiatives:my-work"),
        "alerts": reverse("metrics:alert-list"),
    }


# Queries of a signed-in leader. Every page starts with 5: session, user, strategy-office group
# check, memberships, teams (the last three are access_for()).
LEADER_QUERIES = {
    # + data fingerprint (the cache key), then on a cache miss: strategy, periods, themes,
    # objectives (with status then and total), initiatives on the map, latest scores (strategy,
    # themes, objectives, initiatives on the map), teams furthest behind, health history, top
    # alerts, alert counts, stale initiatives, overdue milestones, budget, effort and spend by
    # theme and priority, top objectives by budget, the number of check-ins since, the newest
    # check-ins, the labels of what the strategy's reason and the top alerts mention (one UNION
    # of the subject tables, strategy.derived). (The visible teams of the filter come with
    # access_for()'s.)
    "overview": 23,
    "review": 23,
    # + objective, ancestors (CTE), children, initiatives, KPIs, all latest scores, sparklines,
    # alerts, the labels of what the score and the alerts mention (one UNION, strategy.derived)
    "objective": 14,
    # + initiative, check-ins, milestones, spend, dependencies, KPIs, alerts, latest scores,
    # sparklines
    "initiative": 13,
    # + KPI, measurements, trajectory, revisions, alerts, latest score, the labels of what the
    # score and the alerts mention (one UNION, strategy.derived)
    "kpi": 12,
    # + my initiatives (none for this leader), my KPIs, my alerts, my open action items (reviews),
    # the survey rounds open for me (surveys.selectors.rounds_open_for)
    "my-work": 10,
    # + the count of the alerts, the page of them (the inbox pages through every alert), the
    # labels of what they mention (one UNION, strategy.derived), the periods, themes and people
    # its filters offer (metrics.lists)
    "alerts": 12,
}
# A member's My work has items: + open milestones, initiative scores, contributed initiatives,
# KPI scores, KPI sparklines.
# + the labels of what my alerts mention (one UNION, strategy.derived), my open action items,
# the survey rounds open for me (one query).
MEMBER_MY_WORK_QUERIES = 16


@pytest.mark.parametrize("extra", [0, 8])
def test_each_page_runs_a_constant_number_of_queries(
    client, plan, leader, member, extra, django_assert_num_queries
):
    plan_grow(plan, n=extra, member=member)
    client.force_login(leader)
    for name, url in page_urls(plan).items():
        with django_assert_num_queries(LEADER_QUERIES[name]):
            response = client.get(url)
        assert response.status_code == 200, name


# A cache hit: the first five, plus the data fingerprint.
OVERVIEW_CACHED_QUERIES = 6


@pytest.mark.parametrize("extra", [0, 8])
def test_a_repeated_overview_is_served_from_cache_in_constant_queries(
    client, plan, leader, member, extra, django_assert_num_queries
):
    plan_grow(plan, n=extra, member=member)
    client.force_login(leader)
    first = client.get(reverse("strategy:overview")).content
    with django_assert_num_queries(OVERVIEW_CACHED_QUERIES):
        second = client.get(reverse("strategy:overview")).content
    assert first.split(b"<main", 1)[1] == second.split(b"<main", 1)[1]


def test_overview_cache_follows_new_data_and_who_looks(client, plan, leader, member, admin):
    from initiatives.services import checkin_create

    client.force_login(leader)
    client.get(reverse("strategy:overview"))
    checkin_create(
        initiative=plan.initiatives[0],
        author=member,
        rag="red",
        confidence=20,
        progress=10,
        summary="Supplier went bankrupt overnight.",
    )
    assert (
        "Supplier went bankrupt overnight."
        in client.get(reverse("strategy:overview")).content.decode()
    )
    # Another filter or another person's visibility never reuses this body.
    other = client.get(reverse("strategy:overview"), {"team": plan.objectives[0].team_id})
    assert other.status_code == 200
    from tests.factories import ObjectiveFactory, TeamFactory

    secret = TeamFactory(is_private=True, name="Skunkworks")
    ObjectiveFactory(team=secret, strategy=plan.strategy, theme=plan.themes[0], title="Secret plan")
    client.force_login(admin)
    assert "Secret plan" in client.get(reverse("strategy:overview")).content.decode()
    client.force_login(leader)
    assert "Secret plan" not in client.get(reverse("strategy:overview")).content.decode()


@pytest.mark.parametrize("extra", [0, 8])
def test_my_work_queries_do_not_grow_with_my_items(
    client, plan, member, extra, django_assert_num_queries
):
    plan_grow(plan, n=extra, member=member)
    client.force_login(member)
    with django_assert_num_queries(MEMBER_MY_WORK_QUERIES):
        response = client.get(reverse("initiatives:my-work"))
    assert response.status_code == 200
    assert response.content.count(b'class="work-item"') == 10 + extra


def test_every_page_requires_login(client, plan):
    for name, url in page_urls(plan).items():
        response = client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("account_login")), name


def test_home_sends_leaders_to_overview_and_members_to_my_work(
    client, leader, member, viewer, admin
):
    for user, target in (
        (leader, "strategy:overview"),
        (admin, "strategy:overview"),
        (member, "initiatives:my-work"),
        (viewer, "initiatives:my-work"),
    ):
        client.force_login(user)
        assert client.get(reverse("home"))["Location"] == reverse(target), user.username


def test_sign_in_lands_a_leader_on_the_overview(client, leader, settings):
    settings.AXES_ENABLED = False
    response = client.post(
        reverse("account_login"),
        {"login": "leader", "password": "correct-horse-battery"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("strategy:overview")


def test_sign_in_page_has_labelled_fields(client):
    html = client.get(reverse("account_login")).content.decode()
    assert '<label for="id_login">Username</label>' in html
    assert '<label for="id_password">' in html


def test_outsider_sees_no_plan(client, plan, outsider):
    client.force_login(outsider)
    assert client.get(reverse("strategy:overview")).status_code == 403
    for name in ("objective", "initiative", "kpi"):
        assert client.get(page_urls(plan)[name]).status_code == 404, name


def test_pages_say_not_scored_yet_before_the_engine_ran(client, team, other_team, leader, member):
    plan = plan_build(size=1, team=team, other_team=other_team, member=member, leader=leader)
    GapScore.objects.all().delete()
    client.force_login(leader)
    for name, url in page_urls(plan).items():
        response = client.get(url)
        assert response.status_code == 200, name
        if name in ("overview", "objective", "initiative", "kpi"):
            assert "Not scored yet" in response.content.decode(), name


def test_overview_works_with_no_strategy(client, leader):
    client.force_login(leader)
    response = client.get(reverse("strategy:overview"))
    assert response.status_code == 200
    assert "There is no strategy yet" in response.content.decode()


def test_overview_filters_by_team_and_theme(client, plan, leader, team, other_team):
    client.force_login(leader)
    sales_only = client.get(reverse("strategy:overview"), {"team": team.pk}).content.decode()
    engineering = [o for o in plan.objectives if o.team_id == other_team.pk and not o.parent_id]
    sales = [o for o in plan.objectives if o.team_id == team.pk and not o.parent_id]
    assert all(o.title in sales_only for o in sales)
    assert f'<option value="{team.pk}" selected>Sales</option>' in sales_only
    assert f'href="{engineering[0].get_absolute_url()}"' not in sales_only
    theme = plan.themes[0]
    by_theme = client.get(reverse("strategy:overview"), {"theme": theme.pk}).content.decode()
    others = [o for o in plan.objectives if o.theme_id != theme.pk]
    assert f'href="{others[0].get_absolute_url()}"' not in by_theme


def test_overview_shows_status_with_text_not_colour_alone(client, plan, leader):
    client.force_login(leader)
    html = client.get(reverse("strategy:overview")).content.decode()
    assert "Off track" in html
    assert "At risk" in html
    assert "On track" in html
    assert 'class="badge__icon" aria-hidden="true"><svg class="icon"' in html


def test_overview_lists_stale_checkins_and_overdue_milestones(client, plan, leader):
    client.force_login(leader)
    html = client.get(reverse("strategy:overview")).content.decode()
    assert "days silent" in html  # the plan's last check-ins are 25-35 days old, cadence 14
    assert "Pilot live" in html
    assert "late (due" in html


def test_review_is_printable(client, plan, leader):
    client.force_login(leader)
    html = client.get(reverse("strategy:review")).content.decode()
    assert 'media="print"' in html
    assert 'data-action="print"' in html


def test_content_security_policy_allows_no_external_origin(client, plan, leader):
    client.force_login(leader)
    response = client.get(reverse("strategy:overview"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "http" not in policy
    assert "*" not in policy
    html = response.content.decode()
    # No inline executable script: only src= scripts and JSON data blocks.
    for chunk in html.split("<script")[1:]:
        head = chunk.split(">", 1)[0]
        assert "src=" in head or 'type="application/json"' in head, head
    assert "https://" not in html
    assert "http://" not in html.replace("http://www.w3.org", "")


# Edit forms: the first five, the object, then one query per choice list.
FORM_QUERIES = {
    # objective, themes, periods, teams, parents, owners
    "objective-edit": 11,
    # initiative, objectives, teams, owners, contributors, chosen contributors
    "initiative-edit": 11,
    # initiative (the form has no choice list)
    "milestone-new": 6,
    # KPI, objectives, initiatives, teams, owners
    "kpi-edit": 10,
    # objective to prefill, objectives, teams, owners, contributors
    "initiative-new": 10,
    # objective to prefill, objectives, initiatives, teams, owners
    "kpi-new": 10,
}


@pytest.mark.parametrize("extra", [0, 8])
def test_edit_forms_run_a_constant_number_of_queries(
    client, plan, leader, member, extra, django_assert_num_queries
):
    plan_grow(plan, n=extra, member=member)
    client.force_login(leader)
    urls = {
        "objective-edit": reverse("strategy:objective-edit", args=[plan.objectives[1].pk]),
        "initiative-edit": reverse("initiatives:initiative-edit", args=[plan.initiatives[0].pk]),
        "milestone-new": reverse("initiatives:milestone-new", args=[plan.initiatives[0].pk]),
        "kpi-edit": reverse("metrics:kpi-edit", args=[plan.kpis[0].key]),
        "initiative-new": f"{reverse('initiatives:initiative-new')}?objective={plan.objectives[0].pk}",
        "kpi-new": f"{reverse('metrics:kpi-new')}?objective={plan.objectives[0].pk}",
    }
    for name, url in urls.items():
        with django_assert_num_queries(FORM_QUERIES[name]):
            assert client.get(url).status_code == 200, name
