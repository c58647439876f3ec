"""Every endpoint x persona (and token) x action, with the expected status code.

The table is the specification; ``test_every_route_has_rows`` fails when a route of the router
has no row, so a new endpoint cannot ship without deciding who may use it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from execsupport.api_urls import router
from security.models import SecurityEvent
from tests.factories import (
    InitiativeFactory,
    KPIFactory,
    ObjectiveFactory,
    PeriodFactory,
    StrategyFactory,
    TeamFactory,
    ThemeFactory,
    UserFactory,
)

ROLES = [
    "anon",
    "outsider",
    "viewer",
    "member",
    "leader",
    "admin",
    "t_read",
    "t_measure",
    "t_init",
    "t_admin",
]
BASE_ACTIONS = ["list", "retrieve", "create", "update", "delete"]

# t_read: the leader's token with `read`; t_measure: the member's token with only
# `write:measurements`; t_init: the member's token with `read` + `write:initiatives`;
# t_admin: the strategy office's token with `admin`. The member owns the initiative and the KPI.
#                               anon outs view memb lead admn tRd  tMea tIni tAdm
MATRIX_TEXT = """
teams          list             401  403  200  200  200  200  200  403  200  200
teams          retrieve         401  403  200  200  200  200  200  403  200  200
teams          create           401  403  403  403  403  201  403  403  403  201
teams          update           401  403  403  403  403  200  403  403  403  200
teams          delete           401  403  403  403  403  204  403  403  403  204
people         list             401  403  200  200  200  200  200  403  200  200
people         retrieve         401  403  200  200  200  200  200  403  200  200
people         create           401  403  405  405  405  405  403  403  403  405
people         update           401  403  405  405  405  405  403  403  403  405
people         delete           401  403  405  405  405  405  403  403  403  405
people         hand_over        401  403  403  403  403  201  403  403  403  201
periods        list             401  403  200  200  200  200  200  403  200  200
periods        retrieve         401  403  200  200  200  200  200  403  200  200
periods        create           401  403  403  403  403  201  403  403  403  201
periods        update           401  403  403  403  403  200  403  403  403  200
periods        delete           401  403  403  403  403  204  403  403  403  204
strategies     list             401  403  200  200  200  200  200  403  200  200
strategies     retrieve         401  403  200  200  200  200  200  403  200  200
strategies     create           401  403  403  403  403  201  403  403  403  201
strategies     update           401  403  403  403  403  200  403  403  403  200
strategies     delete           401  403  403  403  403  204  403  403  403  204
themes         list             401  403  200  200  200  200  200  403  200  200
themes         retrieve         401  403  200  200  200  200  200  403  200  200
themes         create           401  403  403  403  403  201  403  403  403  201
themes         update           401  403  403  403  403  200  403  403  403  200
themes         delete           401  403  403  403  403  204  403  403  403  204
objectives     list             401  403  200  200  200  200  200  403  200  200
objectives     retrieve         401  403  200  200  200  200  200  403  200  200
objectives     create           401  403  403  403  201  201  403  403  403  201
objectives     update           401  403  403  403  200  200  403  403  403  200
objectives     delete           401  403  403  403  204  204  403  403  403  204
objectives     tree             401  403  200  200  200  200  200  403  200  200
initiatives    list             401  403  200  200  200  200  200  403  200  200
initiatives    retrieve         401  403  200  200  200  200  200  403  200  200
initiatives    create           401  403  403  403  201  201  403  403  403  201
initiatives    update           401  403  403  403  200  200  403  403  403  200
initiatives    delete           401  403  403  403  204  204  403  403  403  204
milestones     list             401  403  200  200  200  200  200  403  200  200
milestones     retrieve         401  403  200  200  200  200  200  403  200  200
milestones     create           401  403  403  403  201  201  403  403  403  201
milestones     update           401  403  403  403  200  200  403  403  403  200
milestones     delete           401  403  403  403  204  204  403  403  403  204
checkins       list             401  403  200  200  200  200  200  403  200  200
checkins       retrieve         401  403  200  200  200  200  200  403  200  200
checkins       create           401  403  403  201  201  201  403  403  201  201
checkins       update           401  403  405  405  405  405  403  403  405  405
checkins       delete           401  403  405  405  405  405  403  403  405  405
spend          list             401  403  200  200  200  200  200  403  200  200
spend          retrieve         401  403  200  200  200  200  200  403  200  200
spend          create           401  403  403  201  201  201  403  403  201  201
spend          update           401  403  405  405  405  405  403  403  405  405
spend          delete           401  403  405  405  405  405  403  403  405  405
kpis           list             401  403  200  200  200  200  200  403  200  200
kpis           retrieve         401  403  200  200  200  200  200  403  200  200
kpis           create           401  403  403  403  201  201  403  403  403  201
kpis           update           401  403  403  403  200  200  403  403  403  200
kpis           delete           401  403  403  403  204  204  403  403  403  204
measurements   list             401  403  200  200  200  200  200  403  200  200
measurements   retrieve         401  403  200  200  200  200  200  403  200  200
measurements   create           401  403  403  201  201  201  403  201  403  201
measurements   update           401  403  405  405  405  405  403  405  403  405
measurements   delete           401  403  405  405  405  405  403  405  403  405
measurements   ingest           401  403  403  200  200  200  403  200  403  200
scores         list             401  403  200  200  200  200  200  403  200  200
scores         retrieve         401  403  200  200  200  200  200  403  200  200
scores         create           401  403  405  405  405  405  403  403  403  405
scores         update           401  403  405  405  405  405  403  403  403  405
scores         delete           401  403  405  405  405  405  403  403  403  405
scores         history          401  403  200  200  200  200  200  403  200  200
alerts         list             401  403  200  200  200  200  200  403  200  200
alerts         retrieve         401  403  200  200  200  200  200  403  200  200
alerts         create           401  403  405  405  405  405  403  403  403  405
alerts         update           401  403  405  405  405  405  403  403  403  405
alerts         delete           401  403  405  405  405  405  403  403  403  405
alerts         acknowledge      401  403  403  403  200  200  403  403  403  200
alerts         resolve          401  403  403  403  200  200  403  403  403  200
alerts         snooze           401  403  403  403  200  200  403  403  403  200
alerts         events           401  403  200  200  200  200  200  403  200  200
webhooks       list             401  403  403  403  403  200  403  403  403  200
webhooks       retrieve         401  403  403  403  403  200  403  403  403  200
webhooks       create           401  403  403  403  403  201  403  403  403  201
webhooks       update           401  403  403  403  403  200  403  403  403  200
webhooks       delete           401  403  403  403  403  204  403  403  403  204
security-events list            401  403  403  403  403  200  403  403  403  200
security-events retrieve        401  403  403  403  403  200  403  403  403  200
security-events create          401  403  403  403  403  405  403  403  403  405
security-events update          401  403  403  403  403  405  403  403  403  405
security-events delete          401  403  403  403  403  405  403  403  403  405
"""


def _parse(text: str) -> dict[tuple[str, str], dict[str, int]]:
    table = {}
    for line in text.strip().splitlines():
        endpoint, action, *codes = line.split()
        assert len(codes) == len(ROLES), line
        table[(endpoint, action)] = dict(zip(ROLES, map(int, codes), strict=True))
    return table


MATRIX = _parse(MATRIX_TEXT)
CASES = [(e, a, r, code) for (e, a), row in MATRIX.items() for r, code in row.items()]


def _routes() -> set[tuple[str, str]]:
    """(prefix, action) of every route of the router: base actions and extra actions."""
    routes = set()
    for prefix, viewset, _ in router.registry:
        routes.update((prefix, action) for action in BASE_ACTIONS)
        routes.update((prefix, extra.__name__) for extra in viewset.get_extra_actions())
    return routes


def test_every_route_has_rows():
    missing = _routes() - set(MATRIX)
    assert not missing, f"Routes with no row in the permission matrix: {sorted(missing)}"
    stale = set(MATRIX) - _routes()
    assert not stale, f"Rows for routes that do not exist: {sorted(stale)}"


def _target(endpoint: str, action: str, plan, member):
    """The object an item action works on (a fresh, unprotected one for deletes)."""
    team = plan.team
    fresh_for_delete = {
        "teams": lambda: TeamFactory(parent=team.parent),
        "periods": lambda: PeriodFactory(name="Q9 2031"),
        "strategies": lambda: StrategyFactory(),
        "themes": lambda: ThemeFactory(strategy=plan.strategy),
        "objectives": lambda: ObjectiveFactory(theme=plan.theme, period=plan.period, team=team),
        "initiatives": lambda: InitiativeFactory(objective=plan.objective),
        "kpis": lambda: KPIFactory(objective=plan.objective),
    }
    if action == "delete" and endpoint in fresh_for_delete:
        return fresh_for_delete[endpoint]()
    return {
        "teams": team,
        "people": member,
        "periods": plan.period,
        "strategies": plan.strategy,
        "themes": plan.theme,
        "objectives": plan.objective,
        "initiatives": plan.initiative,
        "milestones": plan.milestone,
        "checkins": plan.checkin,
        "spend": plan.spend,
        "kpis": plan.kpi,
        "measurements": plan.measurement,
        "scores": plan.score,
        "alerts": plan.alert,
        "webhooks": plan.webhook,
        "security-events": SecurityEvent.objects.order_by("id").first(),
    }[endpoint]


def _create_payload(endpoint: str, plan) -> dict:
    p = plan
    dates = {"start_date": "2026-01-01", "due_date": "2026-12-31"}
    return {
        "teams": {"name": "New", "slug": "new", "kind": "team", "parent": p.team.parent_id},
        "people": {"username": "someone"},
        "periods": {"name": "Q2 2027", "start_date": "2027-04-01", "end_date": "2027-06-30"},
        "strategies": {
            "name": "Next",
            "horizon_start": "2029-01-01",
            "horizon_end": "2031-12-31",
        },
        "themes": {"strategy": p.strategy.pk, "name": "Customers"},
        "objectives": {
            "strategy": p.strategy.pk,
            "theme": p.theme.pk,
            "period": p.period.pk,
            "team": p.team.pk,
            "title": "Win the mid-market",
            **dates,
        },
        "initiatives": {
            "objective": p.objective.pk,
            "team": p.team.pk,
            "title": "Partner programme",
            **dates,
        },
        "milestones": {"initiative": p.initiative.pk, "title": "Pilot", "due_date": "2026-09-01"},
        "checkins": {
            "initiative": p.initiative.pk,
            "rag": "amber",
            "confidence": 60,
            "progress": 45,
            "summary": "Second pilot slipped a week.",
        },
        "spend": {"initiative": p.initiative.pk, "date": "2026-03-02", "amount": "1200.00"},
        "kpis": {
            "key": "nps",
            "name": "Net promoter score",
            "baseline_value": 10,
            "baseline_date": "2026-01-01",
            "target_value": 30,
            "target_date": "2026-12-31",
            "team": p.team.pk,
            "objective": p.objective.pk,
        },
        "measurements": {"kpi": "win-rate", "as_of": "2026-03-01", "value": 23.5},
        "scores": {"status": "on_track"},
        "alerts": {"title": "x"},
        "webhooks": {"name": "Chat", "url": "https://93.184.215.14/h"},
        "security-events": {"kind": "sign_in"},
    }[endpoint]


UPDATE_PAYLOAD = {
    "teams": {"description": "Sells."},
    "periods": {"name": "FY 2026"},
    "strategies": {"vision": "Sharper."},
    "themes": {"description": "Pillar."},
    "objectives": {"description": "Why it matters."},
    "initiatives": {"title": "Renamed"},
    "milestones": {"title": "Renamed"},
    "kpis": {"name": "Renamed"},
    "webhooks": {"name": "Renamed"},
}


@pytest.mark.parametrize(("endpoint", "action", "role", "expected"), CASES)
def test_permission_matrix(endpoint, action, role, expected, clients, plan, member):
    client = clients[role]
    base = f"/api/v1/{endpoint}/"
    if action == "list":
        response = client.get(base)
    elif action == "create":
        response = client.post(base, _create_payload(endpoint, plan), format="json")
    elif action == "tree":
        response = client.get(f"{base}tree/")
    elif action == "hand_over":
        body = {"leaving": member.pk, "successor": UserFactory().pk}
        response = client.post(f"{base}hand-over/", body, format="json")
    elif action == "history":
        response = client.get(f"{base}history/", {"subject_type": "kpi", "subject_id": plan.kpi.pk})
    elif action == "snooze":
        until = (timezone.now() + dt.timedelta(days=7)).isoformat()
        item = f"{base}{_target(endpoint, action, plan, member).pk}/"
        response = client.post(f"{item}snooze/", {"until": until, "note": "why"}, format="json")
    elif action == "events":
        response = client.get(f"{base}{_target(endpoint, action, plan, member).pk}/events/")
    elif action == "ingest":
        rows = [{"kpi": "win-rate", "as_of": dt.date(2026, 3, 8).isoformat(), "value": 24}]
        response = client.post(f"{base}ingest/", {"measurements": rows}, format="json")
    else:
        item = f"{base}{_target(endpoint, action, plan, member).pk}/"
        if action == "retrieve":
            response = client.get(item)
        elif action == "update":
            response = client.patch(item, UPDATE_PAYLOAD.get(endpoint, {}), format="json")
        elif action == "delete":
            response = client.delete(item)
        else:
            response = client.post(f"{item}{action}/")
    assert response.status_code == expected, (
        f"{role} {action} {endpoint}: {response.status_code} {getattr(response, 'data', '')}"
    )
    if expected >= 400:
        body = response.json()
        assert body["status"] == expected
        assert set(body) == {"status", "code", "detail", "errors"}
