"""The demo's execution-support loop (issue #18): an assessment frozen ten weeks ago with its
ranked barriers, a support measure in progress for each of the top four (an initiative of the
support kind, a first test in two go-to-market teams, check-ins, a quick follow-up as an action
item), and this quarter's assessment as a live draft that opens with what changed since.

Runs after the scores are computed (``seed_demo``): the report freezes the engine's health
figures. The adoption and movement the support plan shows are computed from the demo's own
check-ins, capability assessments and survey rounds, never set by hand.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from initiatives.models import CheckIn, Initiative
from metrics.engine import subjects_recompute
from metrics.models import SubjectType
from reviews.services import action_item_create
from strategy.models import Objective, Period, Team
from strategy.selectors import strategy_current
from support.models import AssessmentReport
from support.services import report_create, report_freeze, report_notes_save, support_measure_create

FROZEN_DAYS_AGO = 70
# capability -> (category, title, adoption, survey item)
MEASURES = {
    "tools": (
        "enabling_technology",
        "One shared pipeline board for Sales and Customer Success",
        "checkin_timeliness",
        "",
    ),
    "structure": (
        "operating_model",
        "A single accountable owner for every open objective",
        "capability_score",
        "",
    ),
    "leadership": (
        "leadership_agenda",
        "Monthly strategy town hall with open Q&A",
        "survey_item",
        "leader_vision_trust",
    ),
    "talent": (
        "capability_building",
        "Coaching circles for first-time managers",
        "survey_item",
        "skills_growth",
    ),
    "agility": (
        "performance_routine",
        "Weekly 30-minute blocker review",
        "checkin_timeliness",
        "",
    ),
}
CUSTOMER_INPUT = (
    "Mid-market prospects ask for a partner ecosystem; two lost deals cited slow onboarding. "
    "Renewal interviews: customers value the product, not the speed of our responses."
)
MARKET_TRENDS = (
    "Two competitors bundle analytics for free; buyers consolidate vendors. "
    "AI assistants are now expected in the admin console."
)


# Two capability assessments of the go-to-market and platform teams (unless the demo has
# team-level ones: the organisation-level ones of ``build_assessments`` give no team a score,
# and the support plan compares teams):
# the earlier one, before the first assessment, finds tools and agility weak in Sales and
# Customer Success; the later one, after the support measures' first tests, a little better.
CAPABILITY_SCORES = {
    "sales": ((3, 3, 2, 3, 2), (3, 3, 3, 3, 3)),
    "cs": ((3, 4, 2, 3, 2), (4, 4, 3, 3, 3)),
    "marketing": ((4, 3, 3, 3, 3), (4, 3, 3, 3, 3)),
    "platform": ((4, 4, 4, 3, 3), (4, 4, 4, 3, 4)),
}


def _capability_assessments(*, strategy, assessor, then: dt.date, today: dt.date) -> None:
    from assessment.models import CAPABILITIES, CapabilityAssessment

    if CapabilityAssessment.objects.filter(strategy=strategy, team__isnull=False).exists():
        return
    teams = {t.slug: t for t in Team.objects.filter(slug__in=CAPABILITY_SCORES)}
    for slug, (before, after) in CAPABILITY_SCORES.items():
        if slug not in teams:
            continue
        for day, scores in (
            (then - dt.timedelta(days=5), before),
            (today - dt.timedelta(days=3), after),
        ):
            CapabilityAssessment.objects.create(
                strategy=strategy,
                team=teams[slug],
                assessor=assessor,
                assessed_on=day,
                **{f"{c}_score": score for c, score in zip(CAPABILITIES, scores, strict=True)},
            )


def _period_of(day: dt.date) -> Period | None:
    return (
        Period.objects.filter(kind=Period.Kind.QUARTER, start_date__lte=day, end_date__gte=day)
        .order_by("start_date")
        .first()
    )


@transaction.atomic
def support_demo_seed(*, today: dt.date) -> dict[str, int]:
    """Seed the loop (see the module docstring); the numbers of what was made."""
    strategy = strategy_current()
    users = get_user_model().objects
    office, leader = (
        users.filter(username="office").first(),
        users.filter(username="leader").first(),
    )
    then = today - dt.timedelta(days=FROZEN_DAYS_AGO)
    before, now = _period_of(then), _period_of(today)
    if strategy is None or office is None or leader is None or before is None or now is None:
        return {}
    if before == now:
        return {}
    first = report_create(
        strategy=strategy, period=before, title=f"Execution assessment, {before.name}", by=office
    )
    report_notes_save(report=first, customer_input=CUSTOMER_INPUT, market_trends=MARKET_TRENDS)
    _capability_assessments(strategy=strategy, assessor=leader, then=then, today=today)
    report_freeze(report=first, by=office, today=then)
    teams = {t.slug: t for t in Team.objects.filter(slug__in=("gtm", "sales", "cs", "marketing"))}
    objective = (
        Objective.objects.filter(strategy=strategy, team__slug__in=("gtm", "cs", "sales"))
        .order_by("team__slug", "id")
        .first()
    )
    if objective is None or "cs" not in teams or "sales" not in teams:
        return {"reports": 1}
    measures = 0
    for i, barrier in enumerate(first.barriers.order_by("rank")[:4]):
        category, title, adoption, item = MEASURES[barrier.capability]
        start = then + dt.timedelta(days=10 + 3 * i)
        team = teams["cs"] if i % 2 == 0 else teams["sales"]
        initiative = Initiative(
            objective=objective,
            team=team,
            owner=leader,
            title=title,
            description=f"Support measure for the {barrier.get_capability_display()} barrier.",
            status=Initiative.Status.ACTIVE,
            start_date=start,
            due_date=today + dt.timedelta(days=75),
            checkin_cadence_days=14,
            # A small planned budget (coaching, a tool licence): every active initiative has
            # one, so spend-to-progress comparisons never divide by zero.
            budget_planned=Decimal(15_000),
        )
        measure = support_measure_create(
            barrier=barrier,
            initiative=initiative,
            category=category,
            capability=barrier.capability,
            test_teams=[teams["cs"], teams["sales"]],
            test_start=start,
            test_end=today + dt.timedelta(days=20),
            adoption=adoption,
            survey_item=item,
            by=leader,
        )
        for week, (rag, confidence, progress) in enumerate(
            [("green", 80, 15), ("amber", 65, 35), ("green", 75, 55)]
        ):
            CheckIn.objects.create(
                initiative=measure.initiative,
                author=leader,
                created_at=timezone.make_aware(
                    dt.datetime.combine(start + dt.timedelta(days=14 * (week + 1)), dt.time(10))
                ),
                rag=rag,
                confidence=confidence,
                progress=progress,
                summary=f"Test week {2 * (week + 1)}: {progress} % of the test teams on board.",
            )
        Initiative.objects.filter(pk=measure.initiative.pk).update(progress=55)
        action_item_create(
            title=f"Share the first results of “{title}” with the leadership team",
            owner=leader,
            due_date=today + dt.timedelta(days=7 + i),
            created_by=office,
            team_id=team.pk,
        )
        measures += 1
    report_create(
        strategy=strategy, period=now, title=f"Execution assessment, {now.name}", by=office
    )
    support = list(
        Initiative.objects.filter(kind=Initiative.Kind.SUPPORT).values_list("pk", flat=True)
    )
    subjects_recompute(
        subjects=[(SubjectType.INITIATIVE, pk) for pk in support], today=today, notify=False
    )
    return {"reports": AssessmentReport.objects.count(), "support measures": measures}
