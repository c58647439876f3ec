"""First run: the setup checklist the strategy office works through.

The checklist is read from the data, never stored: each step is done when what it asks for
exists (a strategy, its periods, themes, teams, people, a first objective with a KPI and an
initiative). Only the steps the office chose to skip are stored, on the strategy
(``Strategy.setup_skipped``, written by ``strategy.services.strategy_setup_skip``). The steps
(``SETUP_STEPS``, ``SKIPPABLE_STEPS``) and the setup link are in ``strategy.setup``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.urls import reverse

from initiatives.models import Initiative
from metrics.models import KPI
from strategy.models import Membership, Objective, Period, Strategy, Team
from strategy.setup import SETUP_STEPS, SKIPPABLE_STEPS

__all__ = ["Checklist", "SetupStep", "setup_checklist"]


@dataclass(frozen=True)
class SetupStep:
    """One line of the checklist: ``done`` computed from the data, ``skipped`` as stored on
    the strategy, ``detail`` says what exists (counts), ``url`` where the step is done."""

    key: str
    title: str
    asks: str
    done: bool
    skipped: bool
    detail: str
    url: str

    @property
    def left(self) -> bool:
        """Whether the step is still to do: neither done nor skipped."""
        return not self.done and not self.skipped

    @property
    def skippable(self) -> bool:
        """Whether the office may skip the step (every step but the strategy itself)."""
        return self.key in SKIPPABLE_STEPS


@dataclass(frozen=True)
class Checklist:
    """The steps of one strategy's setup, in order (``strategy`` None: none exists yet)."""

    strategy: Strategy | None
    steps: list[SetupStep]

    @property
    def left(self) -> int:
        """How many steps are neither done nor skipped."""
        return sum(step.left for step in self.steps)

    @property
    def next_step(self) -> SetupStep | None:
        """The first step neither done nor skipped; None when the setup is complete."""
        return next((step for step in self.steps if step.left), None)


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def setup_checklist(*, strategy: Strategy | None) -> Checklist:
    """The checklist for this strategy (``None``: none exists yet, only its first step can
    be taken). Five queries whatever the size of the organisation."""
    users = get_user_model()
    skipped = set(strategy.setup_skipped) if strategy is not None else set()
    if strategy is None:
        periods = themes = 0
        objectives = kpis = initiatives = 0
    else:
        periods = Period.objects.filter(
            start_date__lte=strategy.horizon_end, end_date__gte=strategy.horizon_start
        ).count()
        themes = strategy.themes.count()
        objectives = Objective.objects.filter(strategy=strategy).count()
        # A KPI belongs to the strategy through its objective or through its initiative's.
        kpis = KPI.objects.filter(
            Q(objective__strategy=strategy) | Q(initiative__objective__strategy=strategy)
        ).count()
        initiatives = Initiative.objects.filter(objective__strategy=strategy).count()
    teams = Team.objects.aggregate(
        # distinct: the join over the memberships gives a row per member of each team.
        teams=Count("id", distinct=True),
        led=Count("id", filter=Q(memberships__role=Membership.Role.LEADER), distinct=True),
    )
    people = users._default_manager.filter(is_active=True).aggregate(
        active=Count("id", distinct=True),
        placed=Count("id", filter=Q(memberships__isnull=False), distinct=True),
    )
    strategy_url = (
        reverse("strategy:manage-strategy-edit", args=[strategy.pk])
        if strategy is not None
        else reverse("strategy:manage-strategy-new")
    )
    steps = [
        SetupStep(
            "strategy",
            *SETUP_STEPS[0][1:],
            done=strategy is not None,
            skipped=False,
            detail=(
                f"“{strategy.name}”, {strategy.horizon_start:%Y-%m-%d} to "
                f"{strategy.horizon_end:%Y-%m-%d} ({strategy.get_status_display().lower()})"
                if strategy is not None
                else "No strategy yet."
            ),
            url=strategy_url,
        ),
        SetupStep(
            "periods",
            *SETUP_STEPS[1][1:],
            done=periods > 0,
            skipped="periods" in skipped,
            detail=f"{_plural(periods, 'period')} within the strategy's horizon.",
            url=reverse("strategy:manage-period-list"),
        ),
        SetupStep(
            "themes",
            *SETUP_STEPS[2][1:],
            done=themes > 0,
            skipped="themes" in skipped,
            detail=f"{_plural(themes, 'theme')}.",
            url=reverse("strategy:manage-theme-list"),
        ),
        SetupStep(
            "teams",
            *SETUP_STEPS[3][1:],
            done=teams["led"] > 0,
            skipped="teams" in skipped,
            detail=f"{_plural(teams['teams'], 'team')}, {teams['led']} with a leader.",
            url=reverse("strategy:manage-team-list"),
        ),
        SetupStep(
            "people",
            *SETUP_STEPS[4][1:],
            # The office alone is not yet a team: someone else must have a role.
            done=people["placed"] > 1,
            skipped="people" in skipped,
            detail=(
                f"{_plural(people['active'], 'active person', 'active people')}, "
                f"{people['placed']} with a role in a team."
            ),
            url=reverse("strategy:people"),
        ),
        SetupStep(
            "first_objective",
            *SETUP_STEPS[5][1:],
            done=objectives > 0 and kpis > 0 and initiatives > 0,
            skipped="first_objective" in skipped,
            detail=(
                f"{_plural(objectives, 'objective')}, {_plural(kpis, 'KPI')}, "
                f"{_plural(initiatives, 'initiative')}."
            ),
            url=reverse("strategy:objective-new"),
        ),
    ]
    return Checklist(strategy=strategy, steps=steps)
