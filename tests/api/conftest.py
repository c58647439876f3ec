"""A small organisation with one of everything, API clients for every persona and token."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from initiatives.models import CheckIn, Initiative, Milestone, SpendEntry
from metrics.models import KPI, Alert, GapScore, Measurement, SubjectType, Webhook
from strategy.models import ApiToken, Objective, Period, Strategy, Team, Theme
from strategy.services import token_create
from tests.factories import (
    AlertFactory,
    CheckInFactory,
    GapScoreFactory,
    InitiativeFactory,
    KPIFactory,
    MeasurementFactory,
    MilestoneFactory,
    ObjectiveFactory,
    PeriodFactory,
    SpendEntryFactory,
    StrategyFactory,
    TeamFactory,
    ThemeFactory,
    UserFactory,
    WebhookFactory,
)


@dataclass
class Plan:
    strategy: Strategy
    theme: Theme
    period: Period
    team: Team
    secret_team: Team
    objective: Objective
    initiative: Initiative
    milestone: Milestone
    checkin: CheckIn
    spend: SpendEntry
    kpi: KPI
    measurement: Measurement
    score: GapScore
    alert: Alert
    webhook: Webhook
    secret_objective: Objective
    secret_initiative: Initiative
    secret_kpi: KPI


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The personas' passwords are hashed with PBKDF2 by default: 0.3 s each, per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def plan(team, company, admin, leader, member, viewer, outsider) -> Plan:
    """Sales (the personas' team) owns one of everything; 'Skunkworks' is private."""
    strategy = StrategyFactory(status=Strategy.Status.ACTIVE, owner=admin)
    theme = ThemeFactory(strategy=strategy)
    period = PeriodFactory()
    objective = ObjectiveFactory(theme=theme, period=period, team=team, owner=leader)
    initiative = InitiativeFactory(objective=objective, owner=member)
    milestone = MilestoneFactory(initiative=initiative)
    checkin = CheckInFactory(initiative=initiative, author=member)
    spend = SpendEntryFactory(initiative=initiative)
    kpi = KPIFactory(key="win-rate", objective=objective, owner=member)
    measurement = MeasurementFactory(kpi=kpi, as_of=dt.date(2026, 2, 1), value=22.0)
    score = GapScoreFactory(subject_type=SubjectType.KPI, subject_id=kpi.pk)
    alert = AlertFactory(
        subject_type=SubjectType.KPI,
        subject_id=kpi.pk,
        team=team,
        owner=UserFactory(username="someone-else"),
    )
    webhook = WebhookFactory()
    secret_team = TeamFactory(name="Skunkworks", slug="skunkworks", is_private=True)
    secret_objective = ObjectiveFactory(theme=theme, period=period, team=secret_team)
    secret_initiative = InitiativeFactory(objective=secret_objective)
    secret_kpi = KPIFactory(key="secret-kpi", objective=secret_objective)
    return Plan(
        strategy=strategy,
        theme=theme,
        period=period,
        team=team,
        secret_team=secret_team,
        objective=objective,
        initiative=initiative,
        milestone=milestone,
        checkin=checkin,
        spend=spend,
        kpi=kpi,
        measurement=measurement,
        score=score,
        alert=alert,
        webhook=webhook,
        secret_objective=secret_objective,
        secret_initiative=secret_initiative,
        secret_kpi=secret_kpi,
    )


def token_client(user, *scopes: str) -> APIClient:
    _, secret = token_create(user=user, name="test", scopes=scopes, created_by=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


class LazyClients(dict):
    """Role name -> API client, each made (signed in, or its token created) on first use: a
    permission-matrix case uses one role of ten, and signing in the other nine cost more than
    the request under test (1,381 cases)."""

    def __init__(self, makers: dict[str, Callable[[], APIClient]]):
        super().__init__()
        self._makers = makers

    def __missing__(self, role: str) -> APIClient:
        client = self[role] = self._makers[role]()
        return client


@pytest.fixture
def clients(plan, admin, leader, member, viewer, outsider) -> dict[str, APIClient]:
    """One client per row of the permission matrix (made when a test first asks for it)."""

    def session(user) -> Callable[[], APIClient]:
        def make() -> APIClient:
            client = APIClient()
            client.force_login(user)
            return client

        return make

    return LazyClients(
        {
            "anon": APIClient,
            "outsider": session(outsider),
            "viewer": session(viewer),
            "member": session(member),
            "leader": session(leader),
            "admin": session(admin),
            "t_read": lambda: token_client(leader, ApiToken.Scope.READ),
            "t_measure": lambda: token_client(member, ApiToken.Scope.WRITE_MEASUREMENTS),
            "t_init": lambda: token_client(
                member, ApiToken.Scope.READ, ApiToken.Scope.WRITE_INITIATIVES
            ),
            "t_admin": lambda: token_client(admin, ApiToken.Scope.ADMIN),
        }
    )
