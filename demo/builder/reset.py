"""Is there organisation data already, and deleting it (``seed_demo --reset``).

Deletion runs children before parents so that no PROTECT foreign key is ever violated:
history (measurements, check-ins, scores) is protected on purpose against deleting a KPI or an
initiative by accident, and ``--reset`` is the one deliberate way to delete everything.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection, models, transaction

from demo.builder import org
from initiatives.models import CheckIn, Initiative, InitiativeDependency, Milestone, SpendEntry
from metrics.models import (
    KPI,
    Alert,
    DirtySubject,
    GapScore,
    Measurement,
    MeasurementCorrection,
    TargetRevision,
    TrajectoryPoint,
)
from strategy.models import Membership, Objective, Period, Strategy, Team, Theme

ORGANISATION_MODELS: tuple[type[models.Model], ...] = (
    Team,
    Period,
    Strategy,
    Objective,
    Initiative,
    KPI,
    Measurement,
)


def demo_usernames() -> list[str]:
    """The fixed usernames of the demo people (those of ``org.PEOPLE`` that name one; the others are
    made up from their names)."""
    return [spec.username for spec in org.PEOPLE if spec.username]


def demo_existing_data() -> dict[str, int]:
    """What already exists that seeding would collide with (empty dict: nothing)."""
    User = get_user_model()
    found = {
        str(model._meta.verbose_name_plural): model._default_manager.count()
        for model in ORGANISATION_MODELS
    }
    found["demo people"] = User.objects.filter(email__endswith=f"@{org.EMAIL_DOMAIN}").count()
    return {name: count for name, count in found.items() if count}


def describe_counts(counts: dict[str, int]) -> str:
    """``{"strategies": 1, "teams": 11}`` → "1 strategy, 11 teams"."""
    singular = {
        str(m._meta.verbose_name_plural): str(m._meta.verbose_name) for m in ORGANISATION_MODELS
    }
    singular["demo people"] = "demo person"
    return ", ".join(
        f"{count:,} {singular.get(name, name) if count == 1 else name}"
        for name, count in counts.items()
    )


def demo_foreign_logins() -> list[str]:
    """Demo login names already taken by people who are not demo people: seeding would clash,
    and ``--reset`` never deletes a real person."""
    User = get_user_model()
    return sorted(
        User.objects.filter(username__in=demo_usernames())
        .exclude(email__endswith=f"@{org.EMAIL_DOMAIN}")
        .values_list("username", flat=True)
    )


def _delete_table(model: type[models.Model]) -> None:
    """DELETE every row with one statement, for tables of millions of rows.

    ``QuerySet.delete()`` would load each row to check the PROTECT relations pointing at it;
    the callers delete those relations first, and the database still enforces every foreign key.
    """
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608


@transaction.atomic
def demo_reset() -> None:
    """Delete all organisation data (teams, plan, execution, measures, scores, alerts) and the
    demo people. People who are not demo people and settings such as webhooks are kept."""
    from reviews.models import ActionItem, Review

    User = get_user_model()
    from support.models import AssessmentReport, SupportMeasure

    # The support plan first: its reports protect the strategy and periods, its measures the
    # barriers.
    SupportMeasure.objects.all().delete()
    AssessmentReport.objects.all().delete()
    # The review cycle first: its action items protect their owners, reviews their strategy
    # (deleting a review deletes its meetings, packs and decisions).
    ActionItem.objects.all().delete()
    Review.objects.all().delete()
    Alert.objects.all().delete()
    GapScore.objects.all().delete()
    DirtySubject.objects.all().delete()
    MeasurementCorrection.objects.all().delete()
    _delete_table(Measurement)
    TrajectoryPoint.objects.all().delete()
    TargetRevision.objects.all().delete()
    KPI.objects.all().delete()
    CheckIn.objects.all().delete()
    SpendEntry.objects.all().delete()
    Milestone.objects.all().delete()
    InitiativeDependency.objects.all().delete()
    Initiative.contributors.through.objects.all().delete()
    Initiative.objects.all().delete()
    # The tree protects parents from deletion: cut the links, then delete.
    Objective.objects.exclude(parent=None).update(parent=None)
    Objective.objects.all().delete()
    Theme.objects.all().delete()
    from surveys.models import Survey

    Survey.objects.all().delete()  # rounds, answers and guards with it
    from assessment.models import CapabilityAssessment  # protects its strategy and team

    CapabilityAssessment.objects.all().delete()
    Strategy.objects.all().delete()
    Period.objects.all().delete()
    Membership.objects.all().delete()
    # Teams: leaves first (a non-company team must keep a parent, so links cannot be cut).
    while Team.objects.exists():
        Team.objects.filter(children__isnull=True).delete()
    User.objects.filter(email__endswith=f"@{org.EMAIL_DOMAIN}").delete()
    # The plan is gone, and its history with it (the deletes above recorded theirs); webhooks,
    # which are kept, keep their history.
    for model in (Initiative, Milestone, KPI, Objective, Theme, Strategy, Period, Membership, Team):
        _delete_table(model.history.model)
