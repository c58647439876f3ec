"""``manage.py seed_demo``: the shape of the demo, determinism, and refusing to overwrite data."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import statistics
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.utils import timezone

from demo.builder import DEMO_PASSWORD
from initiatives.models import CheckIn, Initiative, InitiativeDependency, Milestone, SpendEntry
from metrics.models import (
    KPI,
    Alert,
    GapScore,
    Measurement,
    MeasurementCorrection,
    TargetRevision,
    TrajectoryPoint,
)
from strategy.models import (
    STRATEGY_OFFICE_GROUP,
    Membership,
    Objective,
    Period,
    Strategy,
    Team,
    Theme,
)

TODAY = dt.date(2026, 11, 27)
User = get_user_model()


@pytest.fixture(autouse=True)
def _development(settings) -> None:
    # The test runner sets DEBUG=false, which seed_demo reads as production (refused without
    # --allow-production: tests/strategy/test_seed_demo_production.py).
    settings.DEBUG = True


def seed(*args: str, today: dt.date = TODAY, scores: bool = False) -> str:
    """Run seed_demo; scoring is left out unless asked for (it is tested once, below)."""
    out = io.StringIO()
    extra = () if scores else ("--no-scores",)
    call_command(
        "seed_demo", f"--today={today:%Y-%m-%d}", "--no-progress", *extra, *args, stdout=out
    )
    return out.getvalue()


def _auto_timestamp(field: models.Field) -> bool:
    return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)


def fingerprint() -> str:
    """A hash of every organisation row, with foreign keys by natural key and ids left out.

    Ids, automatic timestamps and password hashes (salted) differ between runs by design.
    """
    people = dict(User.objects.values_list("id", "username"))
    teams = dict(Team.objects.values_list("id", "slug"))
    kpis = dict(KPI.objects.values_list("id", "key"))
    names = {
        "user": people,
        "owner": people,
        "author": people,
        "entered_by": people,
        "changed_by": people,
        "team": teams,
        "parent": teams,
        "period": dict(Period.objects.values_list("id", "name")),
        "strategy": dict(Strategy.objects.values_list("id", "name")),
        "theme": dict(Theme.objects.values_list("id", "name")),
        "kpi": kpis,
    }
    objectives = {o.id: (o.title, teams[o.team_id]) for o in Objective.objects.all()}
    initiatives = {i.id: (i.title, teams[i.team_id]) for i in Initiative.objects.all()}
    parts = []
    for model in (
        User,
        Team,
        Membership,
        Period,
        Strategy,
        Theme,
        Objective,
        Initiative,
        Initiative.contributors.through,
        InitiativeDependency,
        Milestone,
        CheckIn,
        SpendEntry,
        KPI,
        TrajectoryPoint,
        TargetRevision,
        Measurement,
    ):
        fields = [
            f
            for f in model._meta.concrete_fields
            if not f.primary_key
            and not _auto_timestamp(f)
            and f.name not in ("password", "last_login", "date_joined")
        ]
        lookup = {
            "objective": objectives,
            "initiative": initiatives,
            "depends_on": initiatives,
            **names,
        }
        if model is Objective:
            lookup["parent"] = objectives
        rows = []
        for values in model.objects.values_list(*[f.attname for f in fields]):
            row = []
            for field, value in zip(fields, values, strict=True):
                if field.is_relation and value is not None:
                    value = lookup[field.name][value]
                row.append(value)
            rows.append(repr(row))
        parts.append(f"{model._meta.label}:{len(rows)}:" + "|".join(sorted(rows)))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


# --- shape ------------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("seed_value", [42, 7])
def test_seed_demo_builds_the_promised_organisation(seed_value):
    # The shape is the catalog's, not luck: it holds for any seed.
    output = seed(f"--seed={seed_value}")

    # Teams: company > divisions > teams, one private team.
    kinds = Counter(Team.objects.values_list("kind", flat=True))
    assert kinds["company"] == 1
    assert 2 <= kinds["division"] <= 3
    assert 5 <= kinds["team"] <= 8
    assert Team.objects.filter(is_private=True, kind="team").count() == 1

    # People with every role, and a strategy office superuser.
    assert set(Membership.objects.values_list("role", flat=True)) == {"leader", "member", "viewer"}
    office = User.objects.get(username="office")
    assert office.is_superuser
    assert office.is_staff
    assert office.groups.filter(name=STRATEGY_OFFICE_GROUP).exists()
    assert Group.objects.filter(name=STRATEGY_OFFICE_GROUP).count() == 1
    for username, role in (("leader", "leader"), ("member", "member"), ("viewer", "viewer")):
        user = User.objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD)
        assert user.memberships.get().role == role
    assert User.objects.count() >= 20

    # Periods: this year, its quarters and last year; one active strategy with 3-4 themes.
    assert set(Period.objects.values_list("name", flat=True)) == {
        "FY2025",
        "FY2026",
        "Q1 2026",
        "Q2 2026",
        "Q3 2026",
        "Q4 2026",
    }
    strategy = Strategy.objects.get(status="active")
    assert strategy.vision
    themes = list(strategy.themes.all())
    assert 3 <= len(themes) <= 4
    assert len({t.order for t in themes}) == len({t.colour for t in themes}) == len(themes)

    # An objective tree: a company-level objective per theme, aligned objectives below.
    objectives = Objective.objects.all()
    assert 12 <= objectives.count() <= 20
    roots = objectives.filter(parent=None)
    assert {o.theme_id for o in roots} == {t.id for t in themes}
    assert all(o.team.kind == "company" for o in roots)
    assert all(o.children.exists() for o in roots)
    assert objectives.filter(parent__parent__isnull=False).exists()  # three levels deep
    assert 1 <= objectives.filter(owner=None).count() <= 2

    # Initiatives with every status that matters, milestones, check-ins, spend, dependencies.
    initiatives = Initiative.objects.all()
    assert 25 <= initiatives.count() <= 35
    statuses = Counter(initiatives.values_list("status", flat=True))
    assert statuses["done"] >= 1
    assert statuses["on_hold"] >= 1
    assert statuses["active"] >= 15
    assert initiatives.filter(owner=None).count() == 0
    assert InitiativeDependency.objects.count() >= 3
    assert Initiative.contributors.through.objects.count() >= 20
    assert Milestone.objects.filter(completed_on__isnull=False).exists()
    overdue = Milestone.objects.filter(
        completed_on=None, due_date__lt=TODAY, initiative__status="active"
    )
    assert overdue.count() >= 3
    stale = [
        i
        for i in initiatives.filter(status="active")
        if i.checkins.exists()
        and (TODAY - i.checkins.latest().created_at.date()).days > 2 * i.checkin_cadence_days
    ]
    assert len(stale) >= 1
    assert set(CheckIn.objects.values_list("rag", flat=True)) == {"green", "amber", "red"}
    assert not CheckIn.objects.filter(created_at__date__gte=TODAY).exists()
    assert CheckIn.objects.filter(created_at__date__lt=TODAY - dt.timedelta(days=150)).exists()
    spent = {i.pk: sum((s.amount for s in i.spend_entries.all()), start=0) for i in initiatives}
    over = [i for i in initiatives if spent[i.pk] > i.budget_planned]
    assert len(over) == 1
    assert SpendEntry.objects.filter(amount__lt=0).count() == 1  # a credit note
    burning = [
        i
        for i in initiatives.filter(status="active")
        if spent[i.pk] / i.budget_planned * 100 > i.progress + 25
    ]
    assert burning

    # KPIs: both kinds, all three directions, every cadence, subjects of both kinds.
    kpis = KPI.objects.all()
    assert 35 <= kpis.count() <= 50
    assert set(kpis.values_list("kind", flat=True)) == {"leading", "lagging"}
    assert set(kpis.values_list("direction", flat=True)) == {"increase", "decrease", "range"}
    assert set(kpis.values_list("cadence_days", flat=True)) == {1, 7, 30}
    assert kpis.filter(objective__isnull=False).exists()
    assert kpis.filter(initiative__isnull=False).exists()
    assert {"nps", "churn-rate-smb"} <= set(kpis.values_list("key", flat=True))
    assert all(k.data_source and k.owner_id for k in kpis)
    assert TrajectoryPoint.objects.values("kpi").distinct().count() >= 3
    revisions = TargetRevision.objects.all()
    assert revisions.count() >= 2
    assert all(r.reason and r.old_plan != r.new_plan for r in revisions)

    # 12-18 months of measurements, never in the future.
    series = {
        k.key: list(k.measurements.order_by("as_of").values_list("as_of", "value")) for k in kpis
    }
    spans = [(s[-1][0] - s[0][0]).days for s in series.values() if len(s) > 1]
    assert max(spans) >= 365
    assert max(spans) <= 548
    assert not Measurement.objects.filter(as_of__gt=TODAY).exists()
    assert 200 <= Measurement.objects.count() / kpis.count() <= 350
    assert series["partner-sourced-pipeline"] == []  # defined, never measured

    # The data-quality and early-warning cases the gap engine must find.
    cadence = dict(kpis.values_list("key", "cadence_days"))
    stale_kpis = [
        key for key, s in series.items() if s and (TODAY - s[-1][0]).days > 3 * cadence[key]
    ]
    assert len(stale_kpis) >= 1
    active = set(kpis.filter(is_active=True).values_list("key", flat=True))
    frozen = [
        key
        for key, s in series.items()
        if key in active and len(s) > 8 and len({v for _, v in s[-6:]}) == 1
    ]
    assert frozen == ["certified-admins"]
    jumps = [
        key
        for key, s in series.items()
        if len(s) > 20 and max(v for _, v in s) > 5 * statistics.median(v for _, v in s)
    ]
    assert jumps == ["organic-sessions"]
    health = [v for _, v in series["health-green-share"]]
    assert health[-1] < max(health[-120:]) - 5  # the leading indicator is falling...
    churn = KPI.objects.get(key="churn-rate-smb")
    assert series["churn-rate-smb"][-1][1] < churn.baseline_value  # ...the lagging one is fine
    assert KPI.objects.get(key="health-green-share").objective_id == churn.objective_id

    # Logins are printed.
    assert "Sign in at http://" in output
    for username in ("office", "leader", "member", "viewer"):
        assert f"  {username} " in output
    assert DEMO_PASSWORD in output


@pytest.mark.django_db
def test_every_seeded_row_passes_model_validation():
    seed()
    for model in (
        User,
        Team,
        Membership,
        Period,
        Strategy,
        Theme,
        Objective,
        Initiative,
        InitiativeDependency,
        Milestone,
        CheckIn,
        SpendEntry,
        KPI,
        TrajectoryPoint,
        TargetRevision,
    ):
        for obj in model.objects.all():
            try:
                obj.full_clean()
            except ValidationError as error:  # pragma: no cover - the message is the point
                pytest.fail(f"{model.__name__} {obj}: {error}")
    for measurement in Measurement.objects.order_by("kpi__key", "as_of")[::97]:
        measurement.full_clean(validate_unique=False)


# --- determinism ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_same_seed_and_today_give_identical_data_and_another_seed_differs():
    seed("--seed=42")
    first = fingerprint()
    seed("--seed=42", "--reset")
    assert fingerprint() == first
    seed("--seed=7", "--reset")
    assert fingerprint() != first


@pytest.mark.django_db
def test_dates_follow_today():
    seed(today=dt.date(2027, 3, 10))
    assert Period.objects.filter(name="FY2027").exists()
    latest = Measurement.objects.order_by("-as_of").first().as_of
    assert latest == dt.date(2027, 3, 9)


# --- refusing, resetting, if-empty -----------------------------------------------------------
@pytest.mark.django_db
def test_second_run_is_refused_without_reset():
    seed()
    before = fingerprint()
    with pytest.raises(CommandError, match="--reset") as error:
        seed()
    assert error.value.returncode == 1  # manage.py exits non-zero
    assert fingerprint() == before


@pytest.mark.django_db
def test_if_empty_makes_a_second_run_a_no_op():
    seed()
    before = fingerprint()
    output = seed("--if-empty")
    assert "nothing to do" in output
    assert fingerprint() == before


@pytest.mark.django_db
def test_seed_computes_scores_and_alerts_and_always_prints_the_logins():
    from metrics.models import Alert, DirtySubject, GapScore

    output = seed(scores=True)

    strategy_score = GapScore.objects.get(subject_type="strategy", is_latest=True)
    assert 0 <= strategy_score.score <= 100
    assert (
        GapScore.objects.filter(subject_type="kpi", is_latest=True).count() == KPI.objects.count()
    )
    assert Alert.objects.filter(status=Alert.Status.OPEN).exists()
    assert not DirtySubject.objects.exists()  # the full recompute cleared every mark
    # Twelve weeks of history before today: the health trend and "what changed" have a past.
    days = GapScore.objects.filter(subject_type="strategy").order_by("as_of")
    weekly = [TODAY - dt.timedelta(weeks=w) for w in range(12, -1, -1)]
    assert [s.as_of for s in days] == weekly
    assert len({s.score for s in days}) > 1
    assert "Computed 12 weeks of score history" in output
    _review_history_is_real(output)
    assert "Computed" in output
    assert "leader" in output
    assert "execsupport-demo" in output
    assert "execsupport-demo" in seed("--if-empty")


@pytest.mark.django_db
def test_if_empty_seeds_an_empty_database():
    seed("--if-empty")
    assert Objective.objects.exists()


@pytest.mark.django_db
def test_reset_deletes_scores_alerts_and_corrections_but_keeps_real_people():
    from metrics.services import measurement_record

    seed()
    real = User.objects.create_user("jane", "jane@corp.test", "x-long-password-1")
    kpi = KPI.objects.get(key="nps")
    latest = kpi.measurements.latest()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
        measurement_record(kpi=kpi, as_of=latest.as_of, value=latest.value + 1, entered_by=real)
    assert MeasurementCorrection.objects.exists()
    GapScore.objects.create(subject_type="kpi", subject_id=kpi.pk, as_of=TODAY, status="on_track")
    Alert.objects.create(
        kind="kpi_stale", subject_type="kpi", subject_id=kpi.pk, dedup_key="x", title="t",
        message="m", owner=real,
    )  # fmt: skip

    from reviews.models import ActionItem, Meeting, Review

    review = Review.objects.create(name="R", strategy=Strategy.objects.get(), owner=real)
    meeting = Meeting.objects.create(review=review, starts_at=timezone.now())
    seeded_items = ActionItem.objects.count()  # the demo's support plan seeds its own
    item = ActionItem.objects.create(
        title="A", owner=User.objects.get(username="leader"), due_date=TODAY, meeting=meeting
    )

    output = seed("--reset")

    assert "Deleted the existing organisation data" in output
    assert not Review.objects.exists()
    # Every action item went; the ones left are the ones the re-seeded demo made again.
    assert not ActionItem.objects.filter(title=item.title).exists()
    assert ActionItem.objects.count() == seeded_items
    # The re-seeded support plan scores its own (support) initiatives and what they roll up
    # to, even with --no-scores; no KPI is scored, so the KPI score from before the reset went.
    assert not GapScore.objects.filter(subject_type="kpi").exists()
    assert not Alert.objects.exists()
    assert not MeasurementCorrection.objects.exists()
    assert User.objects.filter(pk=real.pk).exists()
    assert KPI.objects.filter(key="nps").count() == 1


@pytest.mark.django_db
def test_a_real_person_with_a_demo_login_name_is_never_overwritten():
    User.objects.create_user("leader", "leila@corp.test", "x-long-password-1")
    with pytest.raises(CommandError, match="leader"):
        seed("--reset")
    assert User.objects.get(username="leader").email == "leila@corp.test"
    assert not Team.objects.exists()


@pytest.mark.django_db
def test_a_failure_half_way_leaves_the_database_as_it_was(monkeypatch):
    def explode(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr("demo.builder.build._Builder.build_kpis", explode)
    with pytest.raises(RuntimeError):
        seed()
    assert not Team.objects.exists()
    assert not User.objects.filter(username="office").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--today=27/11/2026",), "YYYY-MM-DD"),
        (("--scale=0",), "--scale"),
        (("--history-weeks=-1",), "--history-weeks"),
        (("--reset", "--if-empty"), "not allowed with"),
    ],
)
def test_bad_options_are_clear_errors(args, message):
    out = io.StringIO()
    with pytest.raises(CommandError, match=message):
        call_command("seed_demo", "--no-progress", *args, stdout=out)
    assert not Team.objects.exists()


# --- scale -------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_scale_two_doubles_the_organisation():
    from demo.builder import kpis, org, work

    seed("--scale=2")
    # The scale-1 organisation is the catalog (the shape test shows it); scale 2 adds a
    # business unit with its own divisions, teams, people, plan, work and measures.
    assert Team.objects.filter(kind="company").count() == 1
    assert Team.objects.exclude(kind="company").count() == 2 * (len(org.TEAMS) - 1)
    assert Objective.objects.count() == 2 * len(org.OBJECTIVES)
    # Plan initiatives double; the support plan's measures (one per top barrier) do not scale.
    assert Initiative.objects.filter(kind="plan").count() == 2 * len(work.INITIATIVES)
    assert KPI.objects.count() == 2 * len(kpis.KPIS)
    assert Milestone.objects.count() == 2 * sum(len(i.milestones) for i in work.INITIATIVES)
    # The copy is a business unit aligned under the company objectives: still one tree.
    assert Objective.objects.filter(parent=None).count() == len(org.THEMES)
    assert {k.key for k in kpis.KPIS} < set(KPI.objects.values_list("key", flat=True))
    assert Membership.objects.filter(team__is_private=True, role="leader").count() == 2
    assert Strategy.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's fast path")
def test_copy_and_bulk_create_write_the_same_measurements(monkeypatch):
    from demo.builder.build_measures import MeasureBuilder

    copied = []
    copy = MeasureBuilder.copy_measurements
    monkeypatch.setattr(
        MeasureBuilder, "copy_measurements", lambda self: (copied.append(True), copy(self))
    )
    seed()
    assert copied
    with_copy = fingerprint()
    monkeypatch.setattr(
        MeasureBuilder, "insert_measurements", MeasureBuilder.bulk_create_measurements
    )
    seed("--reset")
    assert fingerprint() == with_copy


def _review_history_is_real(output: str) -> None:
    """The demo's review cycle: three past monthly packs of the strategy and a weekly team
    review, frozen as of their days during the history; decisions with their KPIs then;
    open action items, some overdue with their alert; a real diff in the latest pack."""
    from metrics.models import Alert
    from reviews.diff import pack_diff
    from reviews.models import ActionItem, Decision, Pack, Review
    from reviews.selectors import pack_previous

    monthly = Review.objects.get(scope="strategy", cadence="monthly")
    packs = list(monthly.packs.order_by("as_of"))
    past = [p for p in packs if p.as_of < TODAY]
    assert len(past) >= 3
    assert [p.as_of for p in packs] == [TODAY - dt.timedelta(weeks=w) for w in (12, 8, 4, 0)]
    weekly = Review.objects.get(scope="team", cadence="weekly")
    assert weekly.packs.filter(as_of__lt=TODAY).count() >= 3
    # Frozen as of their day: no measurement after it.
    for pack in past:
        dates = [i["value_as_of"] for i in pack.data["items"] if i["k"] == "kpi"]
        assert max(d for d in dates if d) <= pack.as_of.isoformat()
    latest = packs[-1]
    kinds = {c["kind"] for c in pack_diff(pack_previous(pack=latest).data, latest.data)}
    assert {"kpi_movement", "action_done", "action_slipped"} <= kinds
    decision = Decision.objects.filter(meeting__review=monthly).order_by("created_at").first()
    then = next(iter(decision.kpis_then.values()))
    assert then["value"] is not None
    assert then["status"]
    today_open = ActionItem.objects.filter(status="open")
    overdue = today_open.filter(due_date__lt=TODAY)
    assert today_open.filter(due_date__gte=TODAY).exists()
    assert overdue.exists()
    assert (
        Alert.objects.filter(subject_type="action", kind="action_overdue", status="open").count()
        == overdue.count()
    )
    assert Pack.objects.count() == 8
    assert "Review history: 8 packs frozen" in output
