"""Browse lists of objectives, initiatives and KPIs (metrics.lists, workspace.list_views):
filters in the URL, sort by any column (score and gap included), pages, counts, the reader's
scope, "New" buttons for those who may create, constant queries."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics.lists import kpis_list, objectives_list
from metrics.models import KPI, GapScore, SubjectType
from strategy.access import access_for
from tests.factories import (
    KPIFactory,
    MembershipFactory,
    ObjectiveFactory,
    TeamFactory,
    UserFactory,
)
from tests.pages import plan_grow

pytestmark = pytest.mark.django_db

LISTS = ["strategy:objective-list", "strategy:initiative-list", "strategy:kpi-list"]
ROW = re.compile(r'<tr role="row"|<tr>')


def rows_of(response) -> int:
    body = response.content.decode()
    tbody = body.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in body else ""
    return tbody.count("<tr>")


def score(subject_type, subject, status, value, gap, **extra):
    GapScore.objects.filter(subject_type=subject_type, subject_id=subject.pk).update(
        is_latest=False
    )
    return GapScore.objects.create(
        subject_type=subject_type,
        subject_id=subject.pk,
        as_of=timezone.localdate(),
        status=status,
        score=value,
        gap=gap,
        **extra,
    )


# --- queries -----------------------------------------------------------------------------------
# The first five (session, user, office group, memberships, teams), then: periods, themes and
# people offered by the filters, the count, the page of rows, their latest scores, the health
# counts of what the other filters leave; the objectives' also ask for the current strategy
# (there is none to add objectives to without it).
LIST_QUERIES = {
    "strategy:objective-list": 13,
    "strategy:initiative-list": 12,
    "strategy:kpi-list": 12,
}
FILTERS = "?sort=-gap&health=at_risk&period={period}&theme={theme}&q=e"


@pytest.mark.parametrize("extra", [0, 8])
@pytest.mark.parametrize("name", LISTS)
def test_each_list_runs_a_constant_number_of_queries(
    client, plan, leader, member, extra, name, django_assert_num_queries
):
    plan_grow(plan, n=extra, member=member)
    client.force_login(leader)
    objective = plan.objectives[0]
    for query in ("", FILTERS.format(period=objective.period_id, theme=objective.theme_id)):
        with django_assert_num_queries(LIST_QUERIES[name]):
            response = client.get(reverse(name) + query)
        assert response.status_code == 200


def test_the_lists_page_through_everything_in_pages_of_fifty(client, plan, leader, member):
    plan_grow(plan, n=50, member=member)
    client.force_login(leader)
    url = reverse("strategy:objective-list")
    total = len(objectives_list(access=access_for(leader), params={}))
    assert total > 50
    first = client.get(url)
    assert f"{total} objectives" in first.content.decode()
    assert rows_of(first) == 50
    second = client.get(url + "?page=2")
    assert rows_of(second) == total - 50
    assert "Page 2 of 2" in second.content.decode()


# --- scope ------------------------------------------------------------------------------------
def test_a_private_teams_objectives_and_kpis_are_never_listed_for_others(
    client, plan, company, member, leader
):
    secret = TeamFactory(name="Skunkworks", slug="skunkworks", parent=company, is_private=True)
    hidden = ObjectiveFactory(
        strategy=plan.strategy,
        theme=plan.themes[0],
        team=secret,
        title="Secret acquisition",
    )
    KPIFactory(objective=hidden, team=secret, key="secret-kpi", name="Secret pipeline")
    insider = UserFactory()
    MembershipFactory(user=insider, team=secret)
    client.force_login(member)
    for name, words in (
        ("strategy:objective-list", "Secret acquisition"),
        ("strategy:kpi-list", "Secret pipeline"),
    ):
        body = client.get(reverse(name)).content.decode()
        assert words not in body
        # Nor by asking for the team by id: its id alone finds nothing.
        assert words not in client.get(reverse(name) + f"?team={secret.pk}").content.decode()
    assert not objectives_list(access=access_for(member), params={"q": "secret"}).exists()
    client.force_login(insider)
    assert "Secret acquisition" in client.get(reverse("strategy:objective-list")).content.decode()


def test_owner_filter_offers_only_people_the_reader_may_see(client, plan, company, member):
    secret = TeamFactory(name="Skunkworks", slug="skunkworks", parent=company, is_private=True)
    hidden_person = UserFactory(first_name="Zed", last_name="Hidden")
    MembershipFactory(user=hidden_person, team=secret)
    client.force_login(member)
    assert "Zed Hidden" not in client.get(reverse("strategy:objective-list")).content.decode()


# --- filters, sort, counts ---------------------------------------------------------------------
def test_kpi_list_filters_off_track_leading(client, plan, leader):
    objective = plan.objectives[0]
    wanted = KPIFactory(
        objective=objective, team=objective.team, kind=KPI.Kind.LEADING, name="Demo requests"
    )
    lagging = KPIFactory(
        objective=objective, team=objective.team, kind=KPI.Kind.LAGGING, name="Booked revenue"
    )
    on_track = KPIFactory(
        objective=objective, team=objective.team, kind=KPI.Kind.LEADING, name="Trial starts"
    )
    for kpi, status in ((wanted, "off_track"), (lagging, "off_track"), (on_track, "on_track")):
        score(SubjectType.KPI, kpi, status, 40.0 if status == "off_track" else 90.0, 0.3)
    params = {"health": "off_track", "kind": "leading"}
    found = set(kpis_list(access=access_for(leader), params=params))
    assert wanted in found
    assert not found & {lagging, on_track}
    assert all(k.kind == "leading" and k.health == "off_track" for k in found)
    client.force_login(leader)
    body = client.get(reverse("strategy:kpi-list"), params).content.decode()
    assert "Demo requests" in body
    assert "Booked revenue" not in body
    assert "Trial starts" not in body
    # The filters stay in the form (a saved link shows the same list).
    assert '<option value="off_track" selected>' in body
    assert '<option value="leading" selected>' in body


def test_kpi_list_filters_by_data_quality(plan, leader):
    objective = plan.objectives[0]
    stale = KPIFactory(objective=objective, team=objective.team, name="Stale one")
    score(
        SubjectType.KPI,
        stale,
        "at_risk",
        60.0,
        0.1,
        data_quality={"confidence": "poor", "stale": True},
    )
    access = access_for(leader)
    assert list(kpis_list(access=access, params={"quality": "stale"})) == [stale]
    assert list(kpis_list(access=access, params={"quality": "poor"})) == [stale]
    assert stale not in kpis_list(access=access, params={"quality": "good"})


def test_sort_by_score_and_gap_either_way_with_unscored_last(plan, leader):
    access = access_for(leader)
    objective = plan.objectives[0]
    unscored = ObjectiveFactory(
        strategy=plan.strategy, theme=objective.theme, team=objective.team, title="Unscored"
    )
    for sort in ("score", "-score", "gap", "-gap"):
        rows = list(objectives_list(access=access, params={"sort": sort}))
        values = [getattr(o, "score_value" if "score" in sort else "score_gap") for o in rows]
        known = [v for v in values if v is not None]
        assert known == sorted(known, reverse=sort.startswith("-")), sort
        assert rows[-1] == unscored, sort
    by_title = [o.title for o in objectives_list(access=access, params={"sort": "-title"})]
    assert by_title == sorted(by_title, reverse=True)


def test_filters_by_team_include_its_sub_teams(plan, leader, team, division):
    access = access_for(leader)
    rows = list(objectives_list(access=access, params={"team": str(division.pk)}))
    assert rows
    assert all(o.team_id == team.pk for o in rows)


def test_health_counts_show_what_the_other_filters_leave(client, plan, leader):
    client.force_login(leader)
    response = client.get(reverse("strategy:objective-list"), {"health": "off_track"})
    statuses = [o.health for o in objectives_list(access=access_for(leader), params={})]
    counts = {
        label: int(n)
        for label, n in re.findall(
            r'class="chip[^"]*"[^>]*>([^<]+) <strong>(\d+)', response.content.decode()
        )
    }
    assert counts["On track"] == statuses.count("on_track")
    assert counts["Off track"] == statuses.count("off_track")
    assert rows_of(response) == statuses.count("off_track")


def test_bad_filter_values_are_ignored_and_shown(client, plan, leader):
    client.force_login(leader)
    response = client.get(
        reverse("strategy:kpi-list"), {"team": "x", "sort": "password", "page": "99"}
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert rows_of(response) == len(plan.kpis)


def test_sortable_headers_keep_the_filters_and_say_the_order(client, plan, leader):
    client.force_login(leader)
    body = client.get(reverse("strategy:kpi-list"), {"kind": "leading", "sort": "-gap"}).content
    body = body.decode()
    assert 'aria-sort="descending"' in body
    assert "?kind=leading&amp;sort=gap" in body
    assert "?kind=leading&amp;sort=score" in body


# --- who sees what ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "expected"),
    [("leader", True), ("admin", True), ("member", False), ("viewer", False)],
)
def test_new_buttons_only_for_those_who_may_create(client, plan, who, expected, request):
    client.force_login(request.getfixturevalue(who))
    for name, target in (
        ("strategy:objective-list", reverse("strategy:objective-new")),
        ("strategy:initiative-list", reverse("initiatives:initiative-new")),
        ("strategy:kpi-list", reverse("metrics:kpi-new")),
    ):
        body = client.get(reverse(name)).content.decode()
        assert (f'href="{target}"' in body) is expected, (name, who)
        # ... and the button's target lets them in exactly when it is shown.
        assert (client.get(target).status_code == 200) is expected, (target, who)


@pytest.mark.parametrize("name", LISTS)
def test_lists_need_sign_in_and_a_role(client, plan, outsider, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    client.force_login(outsider)
    assert client.get(reverse(name)).status_code == 403


def test_navigation_links_the_lists_and_the_search_box(client, plan, member):
    client.force_login(member)
    body = client.get(reverse("initiatives:my-work")).content.decode()
    for name in [*LISTS, "strategy:search"]:
        assert f'"{reverse(name)}"' in body
    assert 'role="search"' in body


# --- the alerts inbox, with the same filter machinery -----------------------------------------
def test_alert_inbox_filters_by_team_owner_theme_and_sorts(client, plan, leader, team, member):
    client.force_login(leader)
    inbox = reverse("metrics:alert-list")
    theme = plan.themes[0]
    theme_kpis = {k.pk for k in plan.kpis if k.objective.theme_id == theme.pk}
    visible = [a for a in plan.alerts if access_for(leader).can_view_alert(a)]

    def listed(params) -> set[int]:
        body = client.get(inbox, {"status": "all", "parts": "on", **params}).content.decode()
        return {int(pk) for pk in re.findall(r'href="/alerts/(\d+)/"', body)}

    everything = listed({})
    assert {a.pk for a in visible} <= everything
    by_theme = listed({"theme": theme.pk})
    assert by_theme
    assert all(a.subject_id in theme_kpis for a in plan.alerts if a.pk in by_theme)
    by_team = listed({"team": team.pk})
    assert by_team == {a.pk for a in visible if a.team_id == team.pk}
    by_owner = listed({"owner": member.pk})
    assert by_owner == {a.pk for a in visible if a.owner_id == member.pk}
    body = client.get(inbox, {"status": "all", "sort": "-opened"}).content.decode()
    assert 'value="-opened" selected' in body
    # A private team's people are not offered as owners (people_choosable).
    secret = TeamFactory(name="Skunkworks", slug="skunkworks", parent=team.parent, is_private=True)
    MembershipFactory(user=UserFactory(first_name="Zed", last_name="Hidden"), team=secret)
    assert "Zed Hidden" not in client.get(inbox).content.decode()


@pytest.mark.parametrize("name", LISTS)
def test_an_unfiltered_list_submits_no_filter(client, plan, leader, name):
    """Every filter's first option is "any" and is the one chosen: the Filter button on an
    unfiltered list changes nothing (a select without it sent its first team or period)."""
    client.force_login(leader)
    body = client.get(reverse(name)).content.decode()
    form = body.split('role="search" aria-label="Filter', 1)[1].split("</form>", 1)[0]
    selects = re.findall(r"<select[^>]*>(.*?)</select>", form, re.S)
    assert len(selects) >= 6
    for options in selects:
        assert re.match(r'\s*<option value="" selected>', options), options[:120]


def test_initiatives_list_badges_and_filters_support_measures(client, plan, leader):
    """Support measures (issue #18) are listed with a "Support" badge and a kind filter."""
    support = plan.initiatives[0]
    type(support).objects.filter(pk=support.pk).update(kind="support")
    client.force_login(leader)
    url = reverse("strategy:initiative-list")
    body = client.get(url).content.decode()
    assert 'class="badge badge--info">Support</span>' in body
    only = client.get(url, {"kind": "support"})
    assert rows_of(only) == 1
    assert support.title in only.content.decode()
    plan_only = client.get(url, {"kind": "plan"})
    assert support.title not in plan_only.content.decode().split("<tbody>", 1)[1]
