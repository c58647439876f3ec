"""Search across objectives, initiatives, KPIs and people (workspace.search): words in titles,
keys and descriptions, as the reader may see them. PostgreSQL full-text search where the
database is PostgreSQL, ``icontains`` elsewhere: run this module on both
(``DATABASE_URL=postgres://... pytest tests/strategy/test_search.py``)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from strategy.access import access_for
from tests.factories import (
    InitiativeFactory,
    KPIFactory,
    MembershipFactory,
    ObjectiveFactory,
    TeamFactory,
    UserFactory,
)
from workspace.search import SEARCH_LIMIT, search_everything, search_words

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret(plan, company):
    """A private team with an objective, initiative, KPI and a person of its own."""
    team = TeamFactory(name="Skunkworks", slug="skunkworks", parent=company, is_private=True)
    objective = ObjectiveFactory(
        strategy=plan.strategy,
        theme=plan.themes[0],
        team=team,
        title="Quantum acquisition",
        description="Buy the quantum start-up before anyone hears of it.",
    )
    InitiativeFactory(objective=objective, team=team, title="Quantum due diligence")
    KPIFactory(objective=objective, team=team, key="quantum-pipeline", name="Quantum pipeline")
    insider = UserFactory(first_name="Quentin", last_name="Quantum")
    MembershipFactory(user=insider, team=team)
    return team


def titles(results) -> dict[str, list[str]]:
    return {
        "objectives": [o.title for o in results.objectives],
        "initiatives": [i.title for i in results.initiatives],
        "kpis": [k.name for k in results.kpis],
        "people": [p.get_full_name() for p in results.people],
    }


def test_finds_by_words_of_titles_keys_and_descriptions(plan, leader):
    access = access_for(leader)
    found = titles(search_everything(access=access, query="customer satisfaction"))
    assert "Lift customer satisfaction" in found["objectives"]
    assert "Pilot lift customer satisfaction" in found["initiatives"]
    # A KPI by its key, an objective by a word of its description only.
    assert titles(search_everything(access=access, query="nps-2"))["kpis"] == [
        "Net promoter score 2"
    ]
    ObjectiveFactory(
        strategy=plan.strategy,
        theme=plan.themes[0],
        team=plan.objectives[0].team,
        title="Quiet title",
        description="Reduce the warehouse backlog.",
    )
    assert titles(search_everything(access=access, query="warehouse"))["objectives"] == [
        "Quiet title"
    ]
    # Every word must match.
    assert not search_everything(access=access, query="customer warehouse").total


def test_finds_people_by_name_only_those_the_reader_may_see(plan, leader, other_team):
    MembershipFactory(user=UserFactory(first_name="Ingrid", last_name="Olsen"), team=other_team)
    found = titles(search_everything(access=access_for(leader), query="ingrid"))
    assert found["people"] == ["Ingrid Olsen"]
    # Priya owns work but has no role on any team: people_choosable leaves her out.
    assert not titles(search_everything(access=access_for(leader), query="priya"))["people"]


def test_a_member_does_not_find_a_private_teams_work_nor_its_people(plan, member, secret):
    results = search_everything(access=access_for(member), query="quantum")
    assert results.total == 0
    insider = secret.memberships.get().user
    inside = titles(search_everything(access=access_for(insider), query="quantum"))
    assert inside["objectives"] == ["Quantum acquisition"]
    assert inside["initiatives"] == ["Quantum due diligence"]
    assert inside["kpis"] == ["Quantum pipeline"]
    assert inside["people"] == ["Quentin Quantum"]


def test_the_page_shows_results_and_hides_the_private(client, plan, member, admin, secret):
    client.force_login(member)
    body = client.get(reverse("strategy:search"), {"q": "quantum"}).content.decode()
    assert "Nothing found" in body
    assert "Quantum" not in body.replace('value="quantum"', "")
    client.force_login(admin)
    body = client.get(reverse("strategy:search"), {"q": "quantum"}).content.decode()
    for words in ("Quantum acquisition", "Quantum due diligence", "Quantum pipeline", "Quentin"):
        assert words in body


def test_results_are_capped_and_say_there_are_more(plan, leader):
    objective = plan.objectives[0]
    for i in range(SEARCH_LIMIT + 2):
        ObjectiveFactory(
            strategy=plan.strategy,
            theme=objective.theme,
            team=objective.team,
            title=f"Expand region {i}",
        )
    results = search_everything(access=access_for(leader), query="expand region")
    assert len(results.objectives) == SEARCH_LIMIT
    assert results.more["objectives"]


@pytest.mark.parametrize("extra", [1, 30])
def test_search_runs_a_constant_number_of_queries(
    client, plan, leader, extra, django_assert_num_queries
):
    objective = plan.objectives[0]
    for i in range(extra):
        ObjectiveFactory(
            strategy=plan.strategy, theme=objective.theme, team=objective.team, title=f"Plan {i}"
        )
        KPIFactory(objective=objective, team=objective.team, name=f"Plan KPI {i}")
    client.force_login(leader)
    # The first five, then objectives, initiatives, KPIs, people, their latest scores.
    with django_assert_num_queries(10):
        response = client.get(reverse("strategy:search"), {"q": "plan"})
    assert response.status_code == 200


def test_words_are_letters_and_digits_only():
    assert search_words("  Launch: (nordics) & 'x'|!  ") == ["launch", "nordics", "x"]
    assert search_words("&|!:*()") == []
    assert len(search_words("a " * 50)) == 8


@pytest.mark.parametrize("query", ["&|!", ":*", "'", "(a", "a & !b", "\x00", "ü" * 300])
def test_hostile_queries_answer_plainly(client, plan, leader, query):
    client.force_login(leader)
    assert client.get(reverse("strategy:search"), {"q": query}).status_code == 200


def test_words_match_prefixes_and_stems_on_postgresql_and_substrings_elsewhere(plan, leader):
    access = access_for(leader)
    # A word's start matches on both.
    assert titles(search_everything(access=access, query="satisf"))["objectives"]
    if connection.vendor == "postgresql":
        # Full-text: "launching" is stemmed to "launch" (english configuration); the best
        # match (the word in the title, not only in the description) comes first.
        assert titles(search_everything(access=access, query="launching"))["objectives"]
    else:
        assert not titles(search_everything(access=access, query="launching"))["objectives"]
        # icontains: inside a word too.
        assert titles(search_everything(access=access, query="atisf"))["objectives"]


def test_search_needs_sign_in_and_a_role(client, outsider):
    response = client.get(reverse("strategy:search"), {"q": "x"})
    assert response.status_code == 302
    client.force_login(outsider)
    assert client.get(reverse("strategy:search"), {"q": "x"}).status_code == 403


@pytest.mark.skipif(connection.vendor != "postgresql", reason="GIN indexes are PostgreSQL's")
@pytest.mark.parametrize(
    ("model", "title", "others", "index"),
    [
        ("strategy.Objective", "title", ("description",), "objective_search"),
        ("initiatives.Initiative", "title", ("description",), "initiative_search"),
        ("metrics.KPI", "name", ("key", "description"), "kpi_search"),
    ],
)
def test_the_search_uses_its_gin_index_on_postgresql(model, title, others, index):
    """The migration's index expression is the search's own (strategy.migrations.0012): were
    they to drift apart, every search would read the whole table."""
    from django.apps import apps

    from workspace.search import _matching

    qs = _matching(
        apps.get_model(model).objects.all(), words=["launch", "nord"], title=title, others=others
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = qs.explain()
    assert index in plan


def test_words_match_whatever_their_case_beyond_ascii(plan, leader, team):
    """SQLite's LIKE folds only ASCII letters: "ÄRGER" missed "Ärger"/"ärger" there. Search
    (and every case-insensitive filter: lists, the people picker) folds any letter on both
    databases."""
    ObjectiveFactory(
        strategy=plan.strategy,
        theme=plan.themes[0],
        team=plan.objectives[0].team,
        title="Weniger Ärger im Kundendienst",
        description="ÖFFNUNGSZEITEN verlängern.",
    )
    MembershipFactory(user=UserFactory(first_name="Zoë", last_name="Ærø"), team=team)
    access = access_for(leader)
    for query in ("ÄRGER", "ärger", "Ärger", "öffnungszeiten"):
        assert titles(search_everything(access=access, query=query))["objectives"] == [
            "Weniger Ärger im Kundendienst"
        ], query
    assert titles(search_everything(access=access, query="ZOË ÆRØ"))["people"] == ["Zoë Ærø"]


def test_case_insensitive_filters_fold_non_ascii_letters(plan):
    """The lookups the pages build (``icontains``, ``iexact``, ``istartswith``) on any
    database; ``contains`` keeps the database's own rule (case-insensitive on SQLite)."""
    from strategy.models import Objective

    ObjectiveFactory(
        strategy=plan.strategy, theme=plan.themes[0], team=plan.objectives[0].team, title="Ärger"
    )
    objectives = Objective.objects.all()
    assert objectives.filter(title__icontains="ÄRG").count() == 1
    assert objectives.filter(title__iexact="ärger").count() == 1
    assert objectives.filter(title__istartswith="äR").count() == 1
    # LIKE's own characters stay literal and the rest of the pattern still has to match.
    assert objectives.filter(title__icontains="ä%").count() == 0
    assert objectives.filter(title__icontains="ä_ger").count() == 0
    assert objectives.filter(title__iexact="ärge").count() == 0
