"""Turn the demo catalog into rows: plan every row in Python, then bulk-insert in batches.

Determinism: all randomness comes from generators seeded with ``(seed, copy)`` (and the KPI's
index for its series), consumed in the catalog's order. Nothing depends on database ids or
on the order rows come back from the database, so the same seed and ``today`` give the same
data, and copy 0 of a scaled organisation is the scale-1 organisation.

Memory stays bounded at any scale: the organisation itself (a few thousand rows per kind at
scale 100) is held as model instances, measurements are generated per KPI with numpy and
streamed to the database in batches.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import models, transaction
from django.utils import timezone
from tqdm import tqdm

from initiatives.models import CheckIn, Initiative, InitiativeDependency, Milestone, SpendEntry
from metrics.models import KPI, Measurement, SubjectType, TargetRevision, TrajectoryPoint
from metrics.services import kpi_plan, subjects_mark_dirty
from strategy.demo import kpis as kpi_catalog
from strategy.demo import org, texts, work
from strategy.demo.names import FIRST_NAMES, LAST_NAMES, UNIT_NAMES
from strategy.demo.series import SeriesPlan, series_dates, series_values
from strategy.models import (
    STRATEGY_OFFICE_GROUP,
    Membership,
    Objective,
    Period,
    Strategy,
    Team,
    Theme,
)

User = get_user_model()
BATCH = 2000
MEASUREMENT_BATCH = 5000

PROFILE_PACE = {
    "green": (1.0, 1.08),
    "amber": (0.74, 0.82),
    "red": (0.45, 0.55),
    "stale": (0.75, 0.85),
    "burn": (0.55, 0.62),
    "over": (0.84, 0.9),
    "done": (1.0, 1.0),
    "hold": (0.45, 0.55),
    "cancelled": (0.3, 0.4),
    "proposed": (0.0, 0.0),
}
PROFILE_STATUS = {
    "done": Initiative.Status.DONE,
    "hold": Initiative.Status.ON_HOLD,
    "proposed": Initiative.Status.PROPOSED,
    "cancelled": Initiative.Status.CANCELLED,
}
CONFIDENCE = {"green": (72, 92), "amber": (45, 68), "red": (15, 40)}


@dataclass
class DemoSummary:
    seed: int
    today: dt.date
    scale: int
    seconds: float
    counts: dict[str, int]
    logins: list[tuple[str, str, str]]  # username, full name, what they can do


@dataclass
class _Copy:
    """One copy of the organisation: copy 0 is the company itself, others business units."""

    index: int
    unit: str | None
    rng: random.Random
    teams: dict[str, Team] = field(default_factory=dict)
    people: dict[str, object] = field(default_factory=dict)
    objectives: dict[str, Objective] = field(default_factory=dict)
    initiatives: dict[str, Initiative] = field(default_factory=dict)

    @property
    def suffix(self) -> str:
        return f" ({self.unit})" if self.unit else ""

    @property
    def slug_suffix(self) -> str:
        return f"-{_slug(self.unit)}" if self.unit else ""

    def leader_of(self, team_ref: str) -> object | None:
        for spec in org.PEOPLE:
            if (team_ref, "leader") in spec.memberships and spec.ref in self.people:
                return self.people[spec.ref]
        return None


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text.lower()).split())


def _add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, 1)


def _fmt(day: dt.date) -> str:
    return f"{day.day} {day:%B}"


def _unit_name(index: int) -> str | None:
    if index == 0:
        return None
    if index <= len(UNIT_NAMES):
        return UNIT_NAMES[index - 1]
    return f"Unit {index + 1}"


class _Builder:
    def __init__(self, *, seed: int, today: dt.date, scale: int, bar: tqdm) -> None:
        self.seed, self.today, self.scale, self.bar = seed, today, scale, bar
        self.tz = timezone.get_current_timezone()
        self.copies = [
            _Copy(index=i, unit=_unit_name(i), rng=random.Random(f"execsupport-demo:{seed}:{i}"))
            for i in range(scale)
        ]
        self.usernames: set[str] = set()
        self.series_jobs: list[tuple[KPI, SeriesPlan, dt.date, dt.date, int, int]] = []

    # --- helpers --------------------------------------------------------------------------------
    def insert(self, model: type[models.Model], rows: list, batch_size: int = BATCH) -> list:
        for start in range(0, len(rows), batch_size):
            chunk = rows[start : start + batch_size]
            model.objects.bulk_create(chunk)
            self.bar.update(len(chunk))
        return rows

    def at(self, day: dt.date, rng: random.Random) -> dt.datetime:
        return dt.datetime.combine(
            day, dt.time(rng.randint(8, 18), rng.randint(0, 59)), tzinfo=self.tz
        )

    def person(self, copy: _Copy, ref: str | None, fallback_team: str | None = None):
        if ref is None:
            return None
        if ref in copy.people:
            return copy.people[ref]
        return copy.leader_of(fallback_team) if fallback_team else None

    def username_for(self, first: str, last: str) -> str:
        base = _slug(f"{first} {last}").replace("-", ".")[:140]
        name, n = base, 1
        while name in self.usernames:
            n += 1
            name = f"{base}{n}"
        self.usernames.add(name)
        return name

    # --- the organisation -----------------------------------------------------------------------
    def build_people(self) -> None:
        user = User(username="_")
        user.set_password(org.DEMO_PASSWORD)  # hashed once: every demo login shares it
        password = user.password
        rows = []
        for copy in self.copies:
            for spec in org.PEOPLE:
                in_copy = [(t, r) for t, r in spec.memberships if t != "company"]
                if copy.index and (spec.office or not in_copy):
                    continue  # the office, CEO and board belong to the company only
                if copy.index == 0:
                    first, last = spec.first, spec.last
                    username = spec.username or self.username_for(first, last)
                    self.usernames.add(username)
                else:
                    first, last = copy.rng.choice(FIRST_NAMES), copy.rng.choice(LAST_NAMES)
                    username = self.username_for(first, last)
                person = User(
                    username=username,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@{org.EMAIL_DOMAIN}",
                    password=password,
                    is_staff=spec.office,
                    is_superuser=spec.office,
                )
                copy.people[spec.ref] = person
                rows.append(person)
        self.insert(User, rows)
        office = self.copies[0].people["office"]
        office.groups.add(Group.objects.get_or_create(name=STRATEGY_OFFICE_GROUP)[0])

    def build_teams(self) -> None:
        base = self.copies[0]
        by_level: dict[int, list[Team]] = {}
        levels = {"company": 0, "division": 1, "team": 2}
        for copy in self.copies:
            for spec in org.TEAMS:
                if spec.kind == "company" and copy.index:
                    copy.teams[spec.ref] = base.teams[spec.ref]
                    continue
                parent = copy.teams[spec.parent] if spec.parent else None
                team = Team(
                    name=spec.name + copy.suffix,
                    slug=_slug(spec.ref if spec.kind != "company" else spec.name)
                    + copy.slug_suffix,
                    kind=spec.kind,
                    parent=parent,
                    is_private=spec.private,
                    description=spec.description,
                )
                copy.teams[spec.ref] = team
                by_level.setdefault(levels[spec.kind], []).append(team)
        for level in sorted(by_level):
            self.insert(Team, by_level[level])
        memberships = [
            Membership(user=copy.people[spec.ref], team=copy.teams[team_ref], role=role)
            for copy in self.copies
            for spec in org.PEOPLE
            if spec.ref in copy.people
            for team_ref, role in spec.memberships
            if not (copy.index and team_ref == "company")
        ]
        self.insert(Membership, memberships)

    def build_plan(self) -> None:
        year = self.today.year
        self.periods = {
            "last_year": Period(
                name=f"FY{year - 1}",
                kind=Period.Kind.YEAR,
                start_date=dt.date(year - 1, 1, 1),
                end_date=dt.date(year - 1, 12, 31),
            ),
            "year": Period(
                name=f"FY{year}",
                kind=Period.Kind.YEAR,
                start_date=dt.date(year, 1, 1),
                end_date=dt.date(year, 12, 31),
            ),
        }
        for q in range(4):
            start = dt.date(year, 3 * q + 1, 1)
            self.periods[f"q{q + 1}"] = Period(
                name=f"Q{q + 1} {year}",
                kind=Period.Kind.QUARTER,
                start_date=start,
                end_date=_add_months(start, 3) - dt.timedelta(days=1),
            )
        self.insert(Period, list(self.periods.values()))
        self.periods["quarter"] = self.periods[f"q{(self.today.month - 1) // 3 + 1}"]

        base = self.copies[0]
        self.strategy = Strategy(
            name=org.STRATEGY_NAME,
            vision=org.VISION,
            horizon_start=dt.date(year - 1, 1, 1),
            horizon_end=dt.date(year + 1, 12, 31),
            status=Strategy.Status.ACTIVE,
            owner=base.people["ceo"],
        )
        self.insert(Strategy, [self.strategy])
        self.themes = {
            spec.ref: Theme(
                strategy=self.strategy,
                name=spec.name,
                description=spec.description,
                colour=spec.colour,
                order=order,
                weight=Decimal(spec.weight),
            )
            for order, spec in enumerate(org.THEMES, start=1)
        }
        self.insert(Theme, list(self.themes.values()))

    def build_objectives(self) -> None:
        base = self.copies[0]
        by_level: dict[int, list[Objective]] = {}
        depth: dict[str, int] = {}
        for spec in org.OBJECTIVES:
            depth[spec.ref] = depth[spec.parent] + 1 if spec.parent else 0
        for copy in self.copies:
            for spec in org.OBJECTIVES:
                period = self.periods[spec.period]
                team_ref, parent, owner = spec.team, None, self.person(copy, spec.owner)
                if spec.parent:
                    parent = copy.objectives[spec.parent]
                elif copy.index:
                    # In a business unit, a company objective becomes the unit's contribution.
                    team_ref, parent = spec.unit_team, base.objectives[spec.ref]
                    owner = copy.leader_of(team_ref)
                objective = Objective(
                    strategy=self.strategy,
                    theme=self.themes[spec.theme],
                    period=period,
                    team=copy.teams[team_ref],
                    parent=parent,
                    owner=owner,
                    title=spec.title + copy.suffix,
                    description=spec.description,
                    weight=Decimal(spec.weight),
                    priority=spec.priority,
                    status=spec.status,
                    start_date=period.start_date,
                    due_date=period.end_date,
                )
                copy.objectives[spec.ref] = objective
                level = depth[spec.ref] + (1 if copy.index else 0)
                by_level.setdefault(level, []).append(objective)
        for level in sorted(by_level):
            self.insert(Objective, by_level[level])

    # --- execution ------------------------------------------------------------------------------
    def build_initiatives(self) -> None:
        rows, contributors, dependencies = [], [], []
        self.stories = []
        for copy in self.copies:
            rng = copy.rng
            for spec in work.INITIATIVES:
                start = self.today + dt.timedelta(days=spec.start)
                due = start + dt.timedelta(days=spec.length)
                budget = spec.budget_k * 1000 * (rng.uniform(0.8, 1.2) if copy.index else 1)
                initiative = Initiative(
                    objective=copy.objectives[spec.objective],
                    team=copy.teams[spec.team],
                    owner=self.person(copy, spec.owner, spec.team),
                    title=spec.title + copy.suffix,
                    description=spec.description,
                    status=PROFILE_STATUS.get(spec.profile, Initiative.Status.ACTIVE),
                    priority=spec.priority,
                    start_date=start,
                    due_date=due,
                    budget_planned=Decimal(round(budget, -3)),
                    effort_planned_fte=Decimal(spec.fte),
                    checkin_cadence_days=spec.cadence,
                )
                copy.initiatives[spec.ref] = initiative
                rows.append(initiative)
                self.stories.append((copy, spec, initiative))
        self.insert(Initiative, rows)
        through = Initiative.contributors.through
        for copy in self.copies:
            for spec in work.INITIATIVES:
                initiative = copy.initiatives[spec.ref]
                for ref in spec.contributors:
                    person = self.person(copy, ref)
                    if person is not None and person is not initiative.owner:
                        contributors.append(through(initiative=initiative, user=person))
                for ref, note in spec.depends_on:
                    dependencies.append(
                        InitiativeDependency(
                            initiative=initiative, depends_on=copy.initiatives[ref], note=note
                        )
                    )
        self.insert(through, contributors)
        self.insert(InitiativeDependency, dependencies)

        milestones, checkins, spend = [], [], []
        for copy, spec, initiative in self.stories:
            story = self.tell(copy, spec, initiative)
            milestones += story[0]
            checkins += story[1]
            spend += story[2]
        self.insert(Milestone, milestones)
        self.insert(CheckIn, checkins)
        self.insert(SpendEntry, spend)
        # Reported progress and completion follow the story; the rows are in memory already.
        self.insert_updates(
            Initiative, [i for _, _, i in self.stories], ["progress", "completed_on"]
        )

    def insert_updates(self, model, rows: list, fields: list[str]) -> None:
        for start in range(0, len(rows), BATCH):
            model.objects.bulk_update(rows[start : start + BATCH], fields)

    def tell(self, copy: _Copy, spec: work.InitiativeSpec, initiative: Initiative):
        """Milestones, check-ins and spend of one initiative, following its profile."""
        rng, today, profile = copy.rng, self.today, spec.profile
        start, due = initiative.start_date, initiative.due_date
        length = (due - start).days
        stop = today  # the last day the initiative was worked on
        if profile == "done":
            stop = min(due, today) - dt.timedelta(days=rng.randint(2, 9))
            initiative.completed_on = stop
        elif profile == "hold":
            stop = today - dt.timedelta(days=45)
        elif profile == "cancelled":
            stop = start + dt.timedelta(days=int(length * 0.55))
        checkins_until = stop
        if profile == "stale":
            checkins_until = today - dt.timedelta(days=3 * spec.cadence + rng.randint(6, 14))

        # Milestones: evenly spread; past ones completed around their date, except the ones a
        # slipping initiative has not reached.
        n = len(spec.milestones)
        dues = [start + dt.timedelta(days=round(length * (i + 1) / n)) for i in range(n)]
        past = [i for i, d in enumerate(dues) if d < min(today, stop)]
        open_count = {"amber": 1, "stale": 1, "red": 2}.get(profile, 0)
        open_past = set(past[-open_count:]) if open_count else set()
        milestones = []
        for i, (title, due_i) in enumerate(zip(spec.milestones, dues, strict=True)):
            completed = None
            if profile == "done":
                completed = min(due_i, stop)
            elif i in past and i not in open_past and profile != "proposed":
                completed = min(due_i + dt.timedelta(days=rng.randint(-7, 3)), stop)
                completed = max(completed, start + dt.timedelta(days=1))
            milestones.append(
                Milestone(
                    initiative=initiative,
                    title=title,
                    due_date=due_i,
                    completed_on=completed,
                    weight=Decimal("2") if i == n - 1 else Decimal("1"),
                )
            )

        checkins = self.checkins(copy, spec, initiative, milestones, checkins_until, stop)
        initiative.progress = checkins[-1].progress if checkins else 0
        spend = self.spend(copy, spec, initiative, stop)
        return milestones, checkins, spend

    def checkins(self, copy, spec, initiative, milestones, until: dt.date, stop: dt.date):
        rng, profile = copy.rng, spec.profile
        if profile == "proposed":
            return []
        start, due = initiative.start_date, initiative.due_date
        length = (due - start).days
        pace_end = rng.uniform(*PROFILE_PACE[profile])
        jitter = 1 if spec.cadence <= 7 else 2
        dates, day = [], start + dt.timedelta(days=spec.cadence)
        while day <= until:
            dates.append(day)
            day += dt.timedelta(days=max(1, spec.cadence + rng.randint(-jitter, jitter)))
        authors = [initiative.owner] + [
            self.person(copy, ref) for ref in spec.contributors if self.person(copy, ref)
        ]
        authors = [a for a in authors if a is not None]
        team_name = initiative.team.name
        deps = [copy.initiatives[ref].title for ref, _ in spec.depends_on]
        rows, progress = [], 0
        for k, day in enumerate(dates):
            elapsed = min(1.0, (day - start).days / length)
            story = (day - start).days / max(1, (until - start).days)
            pace = 1 + (pace_end - 1) * story  # a slipping initiative starts out fine
            target = 100 * elapsed * pace + rng.uniform(-3, 3)
            progress = int(min(99, max(progress, round(target))))
            ratio = progress / max(1.0, 100 * elapsed)
            rag = "green" if ratio >= 0.88 else "amber" if ratio >= 0.68 else "red"
            last = k == len(dates) - 1
            if profile == "green" and ratio >= 0.8:
                rag = "green"
            if last and profile in ("amber", "burn", "over", "stale") and rag == "green":
                rag = "amber"
            if last and profile == "red":
                rag = "red"
            done = [m for m in milestones if m.completed_on and m.completed_on <= day]
            upcoming = [m for m in milestones if not (m.completed_on and m.completed_on <= day)]
            nxt = upcoming[0] if upcoming else milestones[-1]
            blocker = (
                texts.DEPENDENCY_BLOCKER.format(dep=deps[0])
                if deps and rag != "green"
                else rng.choice(texts.BLOCKERS)
            )
            fields = {
                "done": (done[-1] if done else milestones[0]).title,
                "next": nxt.title,
                "next_due": _fmt(nxt.due_date),
                "slip": rng.randint(5, 20),
                "due": _fmt(due),
                "team": team_name,
                "blocker": blocker,
                "blocker_lc": blocker,
                "decision": _fmt(day + dt.timedelta(days=7)),
                "soon": _fmt(day + dt.timedelta(days=5)),
            }
            rows.append(
                CheckIn(
                    initiative=initiative,
                    author=authors[0] if rng.random() < 0.75 else rng.choice(authors),
                    created_at=self.at(day, rng),
                    rag=rag,
                    confidence=rng.randint(*CONFIDENCE[rag]),
                    progress=progress,
                    summary=rng.choice(texts.SUMMARY[rag]).format(**fields),
                    blockers=blocker if rag != "green" else "",
                    next_steps=rng.choice(texts.NEXT_STEPS).format(**fields),
                )
            )
        closing = {
            "done": (texts.DONE_SUMMARY, "green", 100, 100),
            "hold": (texts.HOLD_SUMMARY, "amber", progress, 40),
            "cancelled": (texts.CANCELLED_SUMMARY, "amber", progress, 0),
        }.get(profile)
        if closing:
            summary, rag, final_progress, confidence = closing
            rows.append(
                CheckIn(
                    initiative=initiative,
                    author=authors[0],
                    created_at=self.at(stop, rng),
                    rag=rag,
                    confidence=confidence,
                    progress=final_progress,
                    summary=summary.format(last=milestones[-1].title),
                    next_steps="",
                )
            )
        return rows

    def spend(self, copy, spec, initiative, stop: dt.date) -> list[SpendEntry]:
        rng, profile = copy.rng, spec.profile
        if profile == "proposed":
            return []
        start, due = initiative.start_date, initiative.due_date
        budget = float(initiative.budget_planned)
        months = max(1, (due.year - start.year) * 12 + due.month - start.month + 1)
        monthly = budget / months
        days, month = [], dt.date(start.year, start.month, 1)
        while True:
            day = month.replace(day=rng.randint(25, 28))
            if day > stop:
                break
            if day >= start:
                days.append(day)
            month = _add_months(month, 1)
        amounts = [monthly * rng.lognormvariate(0, 0.2) for _ in days]
        # The total spent so far follows the story; the months share it unevenly. Over budget by
        # 12 %; burning 1.6 times the planned rate yet still within budget; a delivered
        # initiative lands just under its budget; the others spend a bit under plan.
        elapsed = min(1.0, (stop - start).days / max(1, (due - start).days))
        share = {
            "over": 1.12,
            "burn": min(0.94, elapsed * rng.uniform(1.55, 1.7)),
            "done": rng.uniform(0.9, 0.98),
        }.get(profile, min(0.95, elapsed * rng.uniform(0.8, 1.0)))
        total = sum(amounts)
        if total:
            amounts = [a * share * budget / total for a in amounts]
        entered_by = initiative.owner
        rows = []
        for day, amount in zip(days, amounts, strict=True):
            category = rng.choice(spec.categories)
            rows.append(
                SpendEntry(
                    initiative=initiative,
                    date=day,
                    amount=Decimal(f"{max(amount, 1.0):.2f}"),
                    category=category,
                    note=texts.SPEND_NOTES.get(category, f"{category}: monthly invoice"),
                    entered_by=entered_by,
                )
            )
        if spec.ref == "i_brand" and rows:
            rows.append(
                SpendEntry(
                    initiative=initiative,
                    date=min(self.today, rows[-1].date + dt.timedelta(days=2)),
                    amount=Decimal("-8500.00"),
                    category="Agency fees",
                    note=texts.REFUND_NOTE,
                    entered_by=entered_by,
                )
            )
        return rows

    # --- measures -------------------------------------------------------------------------------
    def build_kpis(self) -> None:
        rows, trajectory, revisions = [], [], []
        first_of_month = self.today.replace(day=1)
        for copy in self.copies:
            rng = copy.rng
            for index, spec in enumerate(kpi_catalog.KPIS):
                if spec.subject.startswith("o_"):
                    objective, initiative = copy.objectives[spec.subject], None
                    team = objective.team
                else:
                    objective, initiative = None, copy.initiatives[spec.subject]
                    team = initiative.team
                team_ref = next(r for r, t in copy.teams.items() if t is team)
                baseline_date = _add_months(first_of_month, -spec.baseline_months)
                target_date = _add_months(baseline_date, spec.horizon_months)
                low, high = spec.range or (None, None)
                kpi = KPI(
                    key=spec.key + copy.slug_suffix,
                    name=spec.name + copy.suffix,
                    description=spec.description,
                    unit=spec.unit,
                    kind=spec.kind,
                    direction=spec.direction,
                    baseline_value=float(spec.baseline),
                    baseline_date=baseline_date,
                    target_value=float(spec.target),
                    target_date=target_date,
                    range_low=low,
                    range_high=high,
                    cadence_days=spec.cadence,
                    owner=self.person(copy, spec.owner, team_ref),
                    team=team,
                    objective=objective,
                    initiative=initiative,
                    weight=Decimal(spec.weight),
                    data_source=spec.source,
                    is_active=spec.active,
                )
                rows.append(kpi)
                plan = SeriesPlan(
                    direction=spec.direction,
                    baseline=kpi.baseline_value,
                    target=kpi.target_value,
                    baseline_date=baseline_date,
                    target_date=target_date,
                    scenario=spec.scenario,
                    noise=spec.noise,
                    decimals=spec.decimals,
                    range_low=low,
                    range_high=high,
                    lower=spec.bounds[0],
                    upper=spec.bounds[1],
                    weekly=spec.weekly,
                    trajectory=spec.trajectory,
                    cumulative=spec.cumulative,
                )
                trajectory += self.trajectory(kpi, spec, plan)
                if spec.scenario != "no_data":
                    first = self.today - dt.timedelta(days=rng.randint(365, 548))
                    if spec.cumulative:
                        first = max(first, baseline_date)  # a running total starts at its baseline
                    last = self.today - dt.timedelta(days=1)
                    if not spec.active:
                        last = min(last, target_date)
                    if spec.scenario == "stale":
                        last -= dt.timedelta(days=4 * spec.cadence + rng.randint(10, 25))
                    self.series_jobs.append((kpi, plan, first, last, copy.index, index))
                if spec.revision:
                    revisions.append((copy, spec, kpi))
        self.kpis = self.insert(KPI, rows)
        self.insert(TrajectoryPoint, trajectory)
        self.insert(TargetRevision, [self.revision(*r) for r in revisions])

    def trajectory(self, kpi: KPI, spec, plan: SeriesPlan) -> list[TrajectoryPoint]:
        n = len(spec.trajectory)
        span_days = (plan.target_date - plan.baseline_date).days
        return [
            TrajectoryPoint(
                kpi=kpi,
                date=plan.baseline_date + dt.timedelta(days=round(span_days * (i + 1) / (n + 1))),
                value=round(plan.baseline + (plan.target - plan.baseline) * share, spec.decimals),
            )
            for i, share in enumerate(spec.trajectory)
        ]

    def revision(self, copy: _Copy, spec, kpi: KPI) -> TargetRevision:
        rev = spec.revision
        new_plan = kpi_plan(kpi=kpi)
        old_plan = dict(new_plan)
        if rev.old_baseline is not None:
            old_plan["baseline_value"] = rev.old_baseline
        if rev.old_target is not None:
            old_plan["target_value"] = rev.old_target
        changed = _add_months(self.today.replace(day=1), -rev.months_ago) + dt.timedelta(days=9)
        return TargetRevision(
            kpi=kpi,
            changed_by=self.person(copy, rev.by) or kpi.owner,
            changed_at=self.at(max(changed, kpi.baseline_date), copy.rng),
            reason=rev.reason,
            old_plan=old_plan,
            new_plan=new_plan,
        )

    def measurement_count(self) -> int:
        return sum(
            len(series_dates(cadence=kpi.cadence_days, first=first, last=last))
            for kpi, _, first, last, _, _ in self.series_jobs
        )

    def measurements(self) -> Iterator[Measurement]:
        source = {1: Measurement.Source.API, 7: Measurement.Source.IMPORT}
        for kpi, plan, first, last, copy_index, index in self.series_jobs:
            rng = np.random.default_rng([self.seed, copy_index, index])
            dates = series_dates(cadence=kpi.cadence_days, first=first, last=last)
            values = series_values(rng=rng, dates=dates, plan=plan)
            src = source.get(kpi.cadence_days, Measurement.Source.MANUAL)
            entered_by_id = kpi.owner_id if src == Measurement.Source.MANUAL else None
            for as_of, value in zip(dates.astype(object), values.tolist(), strict=True):
                yield Measurement(
                    kpi_id=kpi.pk,
                    as_of=as_of,
                    value=value,
                    source=src,
                    entered_by_id=entered_by_id,
                )

    def insert_measurements(self) -> None:
        batch: list[Measurement] = []
        for measurement in self.measurements():
            batch.append(measurement)
            if len(batch) >= MEASUREMENT_BATCH:
                self.insert(Measurement, batch, MEASUREMENT_BATCH)
                batch = []
        self.insert(Measurement, batch, MEASUREMENT_BATCH)

    def run(self) -> None:
        self.bar.set_description("organisation")
        self.build_people()
        self.build_teams()
        self.build_plan()
        self.build_objectives()
        self.build_initiatives()
        self.build_kpis()
        self.bar.set_description("measurements")
        self.bar.total = self.bar.n + self.measurement_count()
        self.bar.refresh()
        self.insert_measurements()
        # Bulk inserts bypass the write services, so mark what they would have marked: the gap
        # engine's sweep (or ``recompute_gaps``) then scores every KPI and initiative.
        subjects_mark_dirty(
            subjects=[(SubjectType.KPI, kpi.pk) for kpi in self.kpis]
            + [(SubjectType.INITIATIVE, i.pk) for _, _, i in self.stories]
        )


def demo_seed(*, seed: int, today: dt.date, scale: int = 1, progress: bool = False) -> DemoSummary:
    """Create the demo organisation in one transaction and say what was made.

    The caller makes sure the database holds no organisation data (see ``demo_existing_data``).
    """
    if scale < 1:
        raise ValueError("scale must be at least 1")
    started = time.perf_counter()
    with (
        tqdm(total=None, unit=" rows", file=sys.stderr, disable=not progress, smoothing=0.1) as bar,
        transaction.atomic(),
    ):
        builder = _Builder(seed=seed, today=today, scale=scale, bar=bar)
        builder.run()
    base = builder.copies[0]
    logins = []
    for ref in org.LOGIN_PERSONAS:
        spec = next(p for p in org.PEOPLE if p.ref == ref)
        person = base.people[ref]
        if spec.office:
            what = "strategy office and superuser: sees and edits everything, admin at /admin/"
        else:
            team_ref, role = spec.memberships[0]
            what = f"{role} of {base.teams[team_ref].name}"
        logins.append((person.username, person.get_full_name(), f"{spec.job}; {what}"))
    return DemoSummary(
        seed=seed,
        today=today,
        scale=scale,
        seconds=time.perf_counter() - started,
        counts=demo_counts(),
        logins=logins,
    )


def demo_counts() -> dict[str, int]:
    """Rows per kind of organisation data, in the order a person reads them."""
    return {
        "people": User.objects.filter(email__endswith=f"@{org.EMAIL_DOMAIN}").count(),
        "teams": Team.objects.count(),
        "memberships": Membership.objects.count(),
        "periods": Period.objects.count(),
        "strategies": Strategy.objects.count(),
        "themes": Theme.objects.count(),
        "objectives": Objective.objects.count(),
        "initiatives": Initiative.objects.count(),
        "dependencies": InitiativeDependency.objects.count(),
        "milestones": Milestone.objects.count(),
        "check-ins": CheckIn.objects.count(),
        "spend entries": SpendEntry.objects.count(),
        "KPIs": KPI.objects.count(),
        "trajectory points": TrajectoryPoint.objects.count(),
        "target revisions": TargetRevision.objects.count(),
        "measurements": Measurement.objects.count(),
    }
