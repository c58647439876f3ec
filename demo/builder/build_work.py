"""Execution: initiatives, contributors, dependencies, milestones, check-ins and spend."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from demo.builder import texts, work
from demo.builder.base import BuilderBase, OrgCopy, add_months, day_label
from initiatives.models import CheckIn, Initiative, InitiativeDependency, Milestone, SpendEntry
from strategy.models import history_m2m_record

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


class WorkBuilder(BuilderBase):
    """Builds the demo's initiatives and their milestones, check-ins and spend."""

    # --- execution ------------------------------------------------------------------------------
    def build_initiatives(self) -> None:
        """Insert every copy's initiatives of ``work.INITIATIVES`` (``self.stories``; a business
        unit's budget varies by ±20 %) with contributors, dependencies and their history's
        many-to-many members, then each one's milestones, check-ins and spend (``tell``), and their
        reported progress and completion."""
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
        # The creation versions (written before these rows) list them, as the services' do.
        ids = [i.pk for i in rows]
        for first in range(0, len(ids), 1000):
            records = list(Initiative.history.filter(id__in=ids[first : first + 1000]))
            history_m2m_record(model=Initiative, records=records)

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

    def tell(self, copy: OrgCopy, spec: work.InitiativeSpec, initiative: Initiative):
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
        """The initiative's check-ins (not saved), about every ``spec.cadence`` days (± a day or
        two) from its start up to ``until`` and yesterday, progress and RAG following its profile,
        plus a closing check-in on ``stop`` for a done, held or cancelled one; none for a proposed
        one."""
        rng, profile = copy.rng, spec.profile
        if profile == "proposed":
            return []
        start, due = initiative.start_date, initiative.due_date
        length = (due - start).days
        pace_end = rng.uniform(*PROFILE_PACE[profile])
        jitter = 1 if spec.cadence <= 7 else 2
        # Up to yesterday: a check-in stamped later today could lie in the future.
        until = min(until, self.today - dt.timedelta(days=1))
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
                "next_due": day_label(nxt.due_date),
                "slip": rng.randint(5, 20),
                "due": day_label(due),
                "team": team_name,
                "blocker": blocker,
                "decision": day_label(day + dt.timedelta(days=7)),
                "soon": day_label(day + dt.timedelta(days=5)),
            }
            rows.append(
                CheckIn(
                    initiative=initiative,
                    author=authors[0] if rng.random() < 0.75 else rng.choice(authors),
                    created_at=self.at(day, rng),
                    rag=rag,
                    confidence=rng.randint(*CONFIDENCE[rag]),
                    progress=progress,
                    summary=rng.choice(
                        [t for t in texts.SUMMARY[rag] if done or "{done}" not in t]
                    ).format(**fields),
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
        """The initiative's spend entries (not saved): one a month (25th to 28th) from its start to
        ``stop``, together the profile's share of the budget (over: 112 %), plus the spec's refund;
        none for a proposed one."""
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
            month = add_months(month, 1)
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
        if spec.refund and rows:
            amount, category, note = spec.refund
            rows.append(
                SpendEntry(
                    initiative=initiative,
                    date=min(self.today, rows[-1].date + dt.timedelta(days=2)),
                    amount=-Decimal(amount),
                    category=category,
                    note=note,
                    entered_by=entered_by,
                )
            )
        return rows
