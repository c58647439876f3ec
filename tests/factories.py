"""factory_boy factories for every model; defaults make a valid, realistic row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from initiatives.models import CheckIn, Initiative, Milestone, SpendEntry
from metrics.models import (
    KPI,
    Alert,
    GapScore,
    Measurement,
    SubjectType,
    TargetRevision,
    TrajectoryPoint,
    Webhook,
)
from strategy.models import Membership, Objective, Period, Strategy, Team, Theme

TODAY = dt.date(2026, 6, 15)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")
    kind = Team.Kind.TEAM
    parent = factory.LazyFunction(
        lambda: (
            Team.objects.filter(kind=Team.Kind.COMPANY).first()
            or TeamFactory(kind=Team.Kind.COMPANY, parent=None, name="Acme", slug="acme")
        )
    )


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = Membership.Role.MEMBER


def member_of(team: Team | None = None, role: str = Membership.Role.MEMBER, **user_fields):
    """A person with ``role`` on ``team`` (a new public team by default): someone who sees
    the plan, and so may be named owner, contributor or successor of its public work
    (``strategy.access.assignees_check``)."""
    return MembershipFactory(
        user=UserFactory(**user_fields), team=team or TeamFactory(), role=role
    ).user


class PeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Period
        django_get_or_create = ("name",)

    name = "FY2026"
    kind = Period.Kind.YEAR
    start_date = dt.date(2026, 1, 1)
    end_date = dt.date(2026, 12, 31)


class StrategyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Strategy

    name = factory.Sequence(lambda n: f"Strategy {n}")
    vision = "Be the most trusted partner of our customers."
    horizon_start = dt.date(2026, 1, 1)
    horizon_end = dt.date(2028, 12, 31)
    status = Strategy.Status.DRAFT


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme

    strategy = factory.SubFactory(StrategyFactory)
    name = factory.Sequence(lambda n: f"Theme {n}")
    colour = "#228be6"
    order = factory.Sequence(lambda n: n)


class ObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Objective

    theme = factory.SubFactory(ThemeFactory)
    strategy = factory.SelfAttribute("theme.strategy")
    period = factory.SubFactory(PeriodFactory)
    team = factory.SubFactory(TeamFactory)
    owner = factory.SubFactory(UserFactory)
    key = factory.Sequence(lambda n: f"objective-{n}")
    title = factory.Sequence(lambda n: f"Objective {n}")
    status = Objective.Status.ACTIVE
    start_date = dt.date(2026, 1, 1)
    due_date = dt.date(2026, 12, 31)


class InitiativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Initiative
        skip_postgeneration_save = True

    objective = factory.SubFactory(ObjectiveFactory)
    team = factory.SelfAttribute("objective.team")
    owner = factory.SubFactory(UserFactory)
    key = factory.Sequence(lambda n: f"initiative-{n}")
    title = factory.Sequence(lambda n: f"Initiative {n}")
    status = Initiative.Status.ACTIVE
    start_date = dt.date(2026, 1, 1)
    due_date = dt.date(2026, 12, 31)
    progress = 40
    budget_planned = Decimal("100000")
    effort_planned_fte = Decimal("2.5")
    checkin_cadence_days = 14


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    initiative = factory.SubFactory(InitiativeFactory)
    title = factory.Sequence(lambda n: f"Milestone {n}")
    due_date = dt.date(2026, 6, 1)


class CheckInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckIn

    initiative = factory.SubFactory(InitiativeFactory)
    author = factory.SelfAttribute("initiative.owner")
    created_at = factory.LazyFunction(timezone.now)
    rag = CheckIn.Rag.GREEN
    confidence = 80
    progress = 40
    summary = "Pilot running with two customers."


class SpendEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpendEntry

    initiative = factory.SubFactory(InitiativeFactory)
    date = dt.date(2026, 3, 1)
    amount = Decimal("12500.00")
    category = "Contractors"


class KPIFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KPI

    key = factory.Sequence(lambda n: f"kpi-{n}")
    name = factory.Sequence(lambda n: f"KPI {n}")
    unit = "%"
    kind = KPI.Kind.LAGGING
    direction = KPI.Direction.INCREASE
    baseline_value = 20.0
    baseline_date = dt.date(2026, 1, 1)
    target_value = 40.0
    target_date = dt.date(2026, 12, 31)
    cadence_days = 30
    owner = factory.SubFactory(UserFactory)
    objective = factory.SubFactory(ObjectiveFactory)
    team = factory.SelfAttribute("objective.team")


class TrajectoryPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrajectoryPoint

    kpi = factory.SubFactory(KPIFactory)
    date = dt.date(2026, 6, 30)
    value = 25.0


class TargetRevisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TargetRevision

    kpi = factory.SubFactory(KPIFactory)
    changed_by = factory.SubFactory(UserFactory)
    reason = "Market shrank after the regulation change."
    old_plan = factory.LazyFunction(dict)
    new_plan = factory.LazyFunction(dict)


class MeasurementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measurement

    kpi = factory.SubFactory(KPIFactory)
    as_of = factory.Sequence(lambda n: dt.date(2026, 1, 1) + dt.timedelta(days=7 * n))
    value = 25.0
    source = Measurement.Source.MANUAL


class GapScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GapScore

    subject_type = SubjectType.KPI
    subject_id = factory.Sequence(lambda n: n + 1)
    as_of = TODAY
    status = GapScore.Status.ON_TRACK
    reason = "At 95 % of the expected progress."
    score = 95.0
    progress = 0.5
    achievement = 0.5
    expected_progress = 0.52
    attainment = 0.96
    gap = 0.02


class AlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alert

    kind = Alert.Kind.KPI_OFF_TRACK
    severity = Alert.Severity.WARNING
    subject_type = SubjectType.KPI
    # Far above the ids of real KPIs: the engine, run by the data a test creates, may open an
    # alert of the same kind on a real KPI, and dedup keys of active alerts are unique.
    subject_id = factory.Sequence(lambda n: 900_000_000 + n)
    dedup_key = factory.LazyAttribute(lambda a: f"{a.kind}:{a.subject_type}:{a.subject_id}")
    title = "KPI off track"
    message = "Churn is 40 % behind its trajectory."
    owner = factory.SubFactory(UserFactory)


class WebhookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Webhook

    name = "Ops chat"
    url = "https://93.184.215.14/hook"  # public: see execsupport/outbound.py
    secret = "s3cret-for-tests"
    # The strategy office sees every alert: a webhook receives what its owner may see.
    owner = factory.SubFactory(UserFactory, is_superuser=True)
