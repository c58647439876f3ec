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
import secrets
import sys
import time
from dataclasses import dataclass

from django.db import transaction
from tqdm import tqdm

from demo.builder import org
from demo.builder.base import User
from demo.builder.build_assessments import AssessmentBuilder
from demo.builder.build_measures import MeasureBuilder
from demo.builder.build_org import OrgBuilder
from demo.builder.build_surveys import SurveyBuilder
from demo.builder.build_work import WorkBuilder
from initiatives.models import CheckIn, Initiative, InitiativeDependency, Milestone, SpendEntry
from metrics.models import KPI, Measurement, SubjectType, TargetRevision, TrajectoryPoint
from metrics.services import subjects_mark_dirty
from strategy.models import Membership, Objective, Period, Strategy, Team, Theme


@dataclass
class DemoSummary:
    """What ``demo_seed`` built: its inputs, how long it took (seconds), rows per model and the demo
    logins (username, full name, what they can do), for ``seed_demo``'s report."""

    seed: int
    today: dt.date
    scale: int
    seconds: float
    counts: dict[str, int]
    logins: list[tuple[str, str, str]]  # username, full name, what they can do


class _Builder(OrgBuilder, WorkBuilder, MeasureBuilder, SurveyBuilder, AssessmentBuilder):
    def run(self) -> None:
        self.bar.set_description("organisation")
        self.build_people()
        self.build_teams()
        self.build_plan()
        self.build_objectives()
        self.build_initiatives()
        self.build_kpis()
        self.build_assessments()
        self.bar.set_description("measurements")
        self.bar.total = self.bar.n + self.measurement_count()
        self.bar.refresh()
        self.insert_measurements()
        self.build_surveys()
        # Bulk inserts bypass the write services, so mark what they would have marked. No task
        # is enqueued: seed_demo runs the full recompute itself (or, with --no-scores, the
        # engine's sweep picks the marks up).
        subjects_mark_dirty(
            subjects=[(SubjectType.KPI, kpi.pk) for kpi in self.kpis]
            + [(SubjectType.INITIATIVE, i.pk) for _, _, i in self.stories],
            enqueue=False,
        )


def demo_seed(
    *,
    seed: int,
    today: dt.date,
    scale: int = 1,
    progress: bool = False,
    passwords: dict[str, str] | None = None,
) -> DemoSummary:
    """Create the demo organisation in one transaction and say what was made.

    The caller makes sure the database holds no organisation data (see ``demo_existing_data``).
    ``passwords`` None: every demo person signs in with the published ``DEMO_PASSWORD``
    (development). A ``{username: password}`` dict (``demo_random_passwords``, production):
    those logins get their password, every other demo person an unusable one.
    """
    if scale < 1:
        raise ValueError("scale must be at least 1")
    started = time.perf_counter()
    with (
        tqdm(total=None, unit=" rows", file=sys.stderr, disable=not progress, smoothing=0.1) as bar,
        transaction.atomic(),
    ):
        builder = _Builder(seed=seed, today=today, scale=scale, bar=bar, passwords=passwords)
        builder.run()
    return DemoSummary(
        seed=seed,
        today=today,
        scale=scale,
        seconds=time.perf_counter() - started,
        counts=demo_counts(),
        logins=demo_logins(),
    )


def demo_logins() -> list[tuple[str, str, str]]:
    """The personas to sign in as: (username, full name, what they can do), from the catalog."""
    teams = {team.ref: team.name for team in org.TEAMS}
    logins = []
    for spec in _login_specs():
        if spec.office:
            what = "strategy office and superuser: sees and edits everything, admin at /admin/"
        else:
            team_ref, role = spec.memberships[0]
            what = f"{role} of {teams[team_ref]}"
        logins.append((_username(spec), f"{spec.first} {spec.last}", f"{spec.job}; {what}"))
    return logins


def demo_random_passwords() -> dict[str, str]:
    """A fresh random password (128 bits, URL-safe) for each demo login, for a demo seeded
    into a production database: shown once by ``seed_demo``, stored only as hashes."""
    return {_username(spec): secrets.token_urlsafe(16) for spec in _login_specs()}


def _login_specs() -> list[org.PersonSpec]:
    return [next(p for p in org.PEOPLE if p.ref == ref) for ref in org.LOGIN_PERSONAS]


def _username(spec: org.PersonSpec) -> str:
    """A sign-in persona's username: fixed in ``org.PEOPLE`` (never the first.last default)."""
    assert spec.username is not None
    return spec.username


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
