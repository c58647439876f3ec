"""Freezing a pack: content, immutability, idempotence, one transaction, privacy when read,
constant queries in the size of the scope."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from initiatives.models import CheckIn
from metrics.models import KPI, Measurement, TargetRevision
from reviews.freeze import pack_snapshot
from reviews.models import Meeting, Pack, PackFrozen, Review
from reviews.selectors import pack_read
from reviews.services import pack_freeze
from strategy.access import access_for
from strategy.models import Objective, Team
from tests.factories import ObjectiveFactory, TeamFactory
from tests.plan_data import plan_build


def kinds(snapshot) -> set[str]:
    return {item["k"] for item in snapshot["items"]}


def test_freeze_keeps_every_kind_with_its_team(meeting, private_plan):
    pack, created = pack_freeze(meeting=meeting)
    assert created
    assert kinds(pack.data) >= {
        "strategy", "theme", "objective", "initiative", "milestone", "kpi", "alert", "checkin",
    }  # fmt: skip
    for item in pack.data["items"]:
        assert "team" in item
        if item["k"] in ("objective", "initiative", "kpi", "milestone", "checkin"):
            assert item["team"] in {
                private_plan.objectives[0].team_id,
                *Team.objects.values_list("id", flat=True),
            }
    objective = next(i for i in pack.data["items"] if i["k"] == "objective" and i["components"])
    assert objective["reason"]["t"]  # structured derived-text parts, not a flat string
    assert {c["key"] for c in objective["components"]} == {"kpis", "initiatives"}
    kpi = next(i for i in pack.data["items"] if i["k"] == "kpi")
    assert kpi["value"] is not None
    assert kpi["forecast"]["misses_target"] is True
    initiative = next(i for i in pack.data["items"] if i["k"] == "initiative")
    assert initiative["budget"] > 0
    assert initiative["spent"] > 0
    json.dumps(pack.data)  # plain JSON


def test_later_edits_never_change_a_past_pack(meeting, private_plan, admin):
    pack, _ = pack_freeze(meeting=meeting)
    before = json.dumps(pack.data, sort_keys=True)
    page_before = _page_text(pack, admin)

    kpi = private_plan.kpis[0]
    KPI.objects.filter(pk=kpi.pk).update(name="Renamed KPI", target_value=99.0)
    TargetRevision.objects.create(
        kpi=kpi, changed_by=admin, reason="Moved", old_plan={}, new_plan={}
    )
    Measurement.objects.create(kpi=kpi, as_of=timezone.localdate(), value=1234.0)
    checkin = CheckIn.objects.filter(initiative__in=private_plan.initiatives).first()
    CheckIn.objects.filter(pk=checkin.pk).update(summary="Rewritten afterwards")
    Objective.objects.filter(pk=private_plan.objectives[0].pk).update(title="Renamed objective")

    pack = Pack.objects.get(pk=pack.pk)
    assert json.dumps(pack.data, sort_keys=True) == before
    page_after = _page_text(pack, admin)
    assert page_after == page_before
    assert "Renamed" not in page_after
    assert "Rewritten" not in page_after


def _page_text(pack, user) -> str:
    view = pack_read(pack=pack, access=access_for(user))
    parts = []
    for section in view.sections:
        for row in section.rows:
            parts.append(
                f"{row.get('name')}|{row.get('reason_html', '')}|{row.get('title_html', '')}"
            )
    return "\n".join(parts)


def test_a_pack_refuses_every_change(meeting):
    pack, _ = pack_freeze(meeting=meeting)
    pack.data = {}
    with pytest.raises(PackFrozen):
        pack.save()
    with pytest.raises(PackFrozen):
        Pack.objects.filter(pk=pack.pk).update(data={})


def test_freezing_twice_keeps_one_pack(meeting):
    first, created = pack_freeze(meeting=meeting)
    second, created_again = pack_freeze(meeting=meeting)
    assert created
    assert not created_again
    assert first.pk == second.pk
    assert Pack.objects.filter(meeting=meeting).count() == 1


def test_a_failure_leaves_no_pack(meeting, monkeypatch):
    import reviews.services.packs as services

    def broken(**kwargs):
        snapshot = pack_snapshot(**kwargs)
        snapshot["items"].append({"k": "kpi", "id": 1, "bad": object()})  # not JSON
        return snapshot

    monkeypatch.setattr(services, "pack_snapshot", broken)
    with pytest.raises(TypeError):
        pack_freeze(meeting=meeting)
    assert not Pack.objects.exists()


def test_a_member_sees_a_private_teams_parts_as_one_combined_row(
    meeting, member, admin, private_plan, other_team
):
    pack, _ = pack_freeze(meeting=meeting)
    hidden_titles = [o.title for o in private_plan.objectives if o.team_id == other_team.pk]
    assert hidden_titles
    view = pack_read(pack=pack, access=access_for(member))
    objectives = next(s for s in view.sections if s.kind == "objective")
    assert objectives.hidden == len(hidden_titles)
    shown = json.dumps([row for s in view.sections for row in s.rows], default=str)
    shown += json.dumps(view.changes, default=str)
    for title in hidden_titles:
        assert title not in shown
    for row in (r for s in view.sections for r in s.rows):
        assert row["team"] != other_team.pk
    office = pack_read(pack=pack, access=access_for(admin))
    office_objectives = next(s for s in office.sections if s.kind == "objective")
    assert office_objectives.hidden == 0
    assert {r["name"] for r in office_objectives.rows} >= set(hidden_titles)


def test_items_of_a_team_deleted_since_are_shown_to_the_strategy_office_only(
    meeting, private_plan, company, admin
):
    from strategy.models import Membership
    from tests.factories import MembershipFactory, UserFactory

    doomed = TeamFactory(name="Skunkworks", slug="skunkworks", parent=company)
    objective = ObjectiveFactory(
        strategy=private_plan.strategy,
        theme=private_plan.themes[0],
        team=doomed,
        title="Secret rocket",
    )
    chief = UserFactory(username="chief")
    MembershipFactory(user=chief, team=company, role=Membership.Role.LEADER)
    pack, _ = pack_freeze(meeting=meeting)
    assert any(
        r["name"] == "Secret rocket"
        for s in pack_read(pack=pack, access=access_for(chief)).sections
        for r in s.rows
    )

    objective.delete()
    doomed.delete()
    chief = type(chief).objects.get(pk=chief.pk)  # a new request: access read again
    view = pack_read(pack=pack, access=access_for(chief))
    assert not any(r["name"] == "Secret rocket" for s in view.sections for r in s.rows)
    office = pack_read(pack=pack, access=access_for(admin))
    assert any(r["name"] == "Secret rocket" for s in office.sections for r in s.rows)


def test_renamed_objects_read_as_they_were(meeting, private_plan, admin):
    pack, _ = pack_freeze(meeting=meeting)
    child = private_plan.objectives[1]
    Objective.objects.filter(pk=child.pk).update(title="New name")
    view = pack_read(pack=pack, access=access_for(admin))
    reasons = " ".join(r.get("reason_html", "") for s in view.sections for r in s.rows)
    assert child.title in reasons
    assert "New name" not in reasons


FREEZE_QUERIES = 16  # pack lookups, 12 reads (the KPIs' trends one), savepoint, insert, release


@pytest.mark.parametrize("size", [1, 4])
def test_freezing_reads_set_based(size, team, other_team, member, leader):
    """The same number of queries for a plan of 1 or 4 objectives per theme."""
    plan = plan_build(size=size, team=team, other_team=other_team, member=member, leader=leader)
    review = Review.objects.create(name="R", strategy=plan.strategy)
    meeting = Meeting.objects.create(review=review, starts_at=timezone.now())
    with CaptureQueriesContext(connection) as ctx:
        pack_freeze(meeting=meeting)
    items = Pack.objects.get(meeting=meeting).data["items"]
    assert len(items) > 35 * size
    trends = [item["trend"] for item in items if item["k"] == "kpi"]
    assert trends
    assert all(trends), "every KPI of the plan has measurements: each has a trend"
    assert len(ctx.captured_queries) == FREEZE_QUERIES, "\n".join(
        q["sql"] for q in ctx.captured_queries
    )


def test_scopes_narrow_the_pack(private_plan, team, other_team):
    strategy = private_plan.strategy
    now = timezone.now()
    theme = private_plan.themes[0]
    by_theme = pack_snapshot(
        review=Review(name="t", strategy=strategy, scope=Review.Scope.THEME, theme=theme), now=now
    )
    assert {i["theme"] for i in by_theme["items"] if i["k"] == "objective"} == {theme.pk}
    by_team = pack_snapshot(
        review=Review(name="t", strategy=strategy, scope=Review.Scope.TEAM, team=other_team),
        now=now,
    )
    assert {i["team"] for i in by_team["items"] if i["k"] in ("objective", "kpi")} == {
        other_team.pk
    }
    root = private_plan.objectives[0]
    by_objective = pack_snapshot(
        review=Review(name="t", strategy=strategy, scope=Review.Scope.OBJECTIVE, objective=root),
        now=now,
    )
    ids = {i["id"] for i in by_objective["items"] if i["k"] == "objective"}
    assert ids == {root.pk, private_plan.objectives[1].pk}
    assert by_objective["scope"]["team"] == root.team_id


def test_a_kpis_trend_keeps_its_latest_measurements_up_to_the_freeze(db):
    from reviews.freeze import TREND_POINTS, kpi_trends
    from tests.factories import KPIFactory, MeasurementFactory

    kpi, other = KPIFactory(), KPIFactory()
    today = dt.date(2026, 6, 1)
    for week in range(TREND_POINTS + 3):
        MeasurementFactory(kpi=kpi, as_of=today - dt.timedelta(weeks=week), value=float(week))
    MeasurementFactory(kpi=kpi, as_of=today + dt.timedelta(days=1), value=99.0)  # after: out
    MeasurementFactory(kpi=other, as_of=today, value=7.0)
    trends = kpi_trends(kpi_ids=[kpi.pk, other.pk], today=today)
    assert [value for _, value in trends[kpi.pk]] == [float(w) for w in range(11, -1, -1)]
    assert trends[kpi.pk][-1] == [today.isoformat(), 0.0]
    assert trends[other.pk] == [[today.isoformat(), 7.0]]
    assert kpi_trends(kpi_ids=[], today=today) == {}


def test_a_past_freeze_reads_the_plan_and_the_alert_log_as_they_stood(review, private_plan):
    """Frozen as of a past moment (the demo's history): measurements after its day, action
    items created or closed after it, and alerts opened or resolved after it (read from the
    alert event log, not their current status) do not show as they are now."""
    import datetime as dt

    from metrics.models import Alert, AlertEvent
    from reviews.models import ActionItem

    then = timezone.now() - dt.timedelta(days=20)
    day = timezone.localdate(then)
    kpi = private_plan.kpis[0]
    Measurement.objects.create(kpi=kpi, as_of=day, value=11.0)
    Measurement.objects.create(kpi=kpi, as_of=day + dt.timedelta(days=5), value=99.0)
    alert = Alert.objects.filter(subject_type="kpi", status="open").order_by("id").first()
    assert alert is not None, "the plan has KPI alerts"
    AlertEvent.objects.create(
        alert=alert, kind="opened", at=then - dt.timedelta(days=3), severity=alert.severity
    )
    AlertEvent.objects.create(
        alert=alert, kind="resolved", at=then + dt.timedelta(days=2), severity=alert.severity
    )
    Alert.objects.filter(pk=alert.pk).update(
        status="resolved", resolved_at=then + dt.timedelta(days=2)
    )
    later = Alert.objects.filter(status="open").exclude(pk=alert.pk).order_by("id").first()
    AlertEvent.objects.create(
        alert=later, kind="opened", at=then + dt.timedelta(days=1), severity=later.severity
    )
    owner = review.owner
    closed_later = ActionItem.objects.create(
        title="Closed later", owner=owner, due_date=day, created_by=owner,
        meeting=Meeting.objects.create(review=review, starts_at=then - dt.timedelta(days=7)),
        status="done", closed_at=then + dt.timedelta(days=1),
    )  # fmt: skip
    ActionItem.objects.filter(pk=closed_later.pk).update(created_at=then - dt.timedelta(days=7))
    ActionItem.objects.create(
        title="Created later", owner=owner, due_date=day, created_by=owner,
        meeting=closed_later.meeting,
    )  # fmt: skip

    snapshot = pack_snapshot(review=review, now=then, past=True)

    values = {i["id"]: i for i in snapshot["items"] if i["k"] == "kpi"}
    assert values[kpi.pk]["value"] == 11.0
    alerts = {i["id"] for i in snapshot["items"] if i["k"] == "alert"}
    assert alert.pk in alerts  # resolved since, open then (the log says so)
    assert later.pk not in alerts  # opened since
    actions = {i["name"]: i for i in snapshot["items"] if i["k"] == "action"}
    assert set(actions) == {"Closed later"}
    assert actions["Closed later"]["state"] == "open"
    # Frozen now, the same plan shows what is current.
    current = pack_snapshot(review=review, now=timezone.now())
    assert alert.pk not in {i["id"] for i in current["items"] if i["k"] == "alert"}
    assert {i["name"] for i in current["items"] if i["k"] == "action"} == {
        "Closed later",
        "Created later",
    }


def test_a_past_freeze_rewinds_an_initiatives_progress_spend_and_last_checkin(db):
    """Frozen as of a past day, an initiative shows the progress of its last check-in up to
    then and the spend dated up to then, not today's; frozen now, what is current."""
    from decimal import Decimal

    from initiatives.models import Initiative
    from tests.factories import CheckInFactory, InitiativeFactory, SpendEntryFactory

    now = timezone.now()
    then = now - dt.timedelta(days=10)
    day = timezone.localdate(then)
    initiative = InitiativeFactory(
        start_date=day - dt.timedelta(days=60), due_date=day + dt.timedelta(days=200)
    )
    never_reported = InitiativeFactory(
        objective=initiative.objective, start_date=day - dt.timedelta(days=60)
    )
    CheckInFactory(initiative=initiative, created_at=then - dt.timedelta(days=20), progress=20)
    CheckInFactory(initiative=initiative, created_at=then + dt.timedelta(days=5), progress=60)
    CheckInFactory(initiative=never_reported, created_at=then + dt.timedelta(days=1), progress=30)
    Initiative.objects.filter(pk=initiative.pk).update(progress=60)
    Initiative.objects.filter(pk=never_reported.pk).update(progress=30)
    SpendEntryFactory(initiative=initiative, date=day - dt.timedelta(days=20), amount=100)
    SpendEntryFactory(initiative=initiative, date=day, amount=50)  # on the day: counted
    SpendEntryFactory(initiative=initiative, date=day + dt.timedelta(days=1), amount=300)
    assert Initiative.objects.get(pk=initiative.pk).spent == Decimal("450")
    review = Review.objects.create(name="R", strategy=initiative.objective.strategy)

    past = {
        i["id"]: i
        for i in pack_snapshot(review=review, now=then, past=True)["items"]
        if i["k"] == "initiative"
    }
    assert past[initiative.pk]["progress"] == 20
    assert past[initiative.pk]["spent"] == 150.0
    assert past[initiative.pk]["last_checkin"] == (then - dt.timedelta(days=20)).isoformat()
    assert past[initiative.pk]["silent_days"] == 20
    assert past[never_reported.pk]["progress"] == 0  # nothing reported by then
    assert past[never_reported.pk]["last_checkin"] is None

    current = {
        i["id"]: i for i in pack_snapshot(review=review, now=now)["items"] if i["k"] == "initiative"
    }
    assert current[initiative.pk]["progress"] == 60
    assert current[initiative.pk]["spent"] == 450.0
    assert current[never_reported.pk]["progress"] == 30


@pytest.mark.parametrize(
    "text",
    [
        None,
        "null",
        '{"t": "{a} lags", "v": {"a": {"ref": ["kpi", 3]}}, "n": [1, 2.5, -0.1, 1e-7]}',
        '{"facts": {"planned_value": 162263635714000000000}}',  # jsonb prints 1.6e20 so
        '["é", "\\u00e9", true, false, {}]',
    ],
)
def test_json_texts_read_as_the_orms_json_field_reads_them(text):
    from reviews.freeze import json_text

    expected = None if text is None else json.loads(text)
    assert json_text(text) == expected
    assert repr(json_text(text)) == repr(expected)  # the same types too (int, not float)


def test_pack_json_is_the_standard_json_of_the_pack():
    from reviews.services import pack_json

    data = {"items": [{"k": "kpi", "value": 1.5, "name": "é"}], "names": {"kpi:1": ["a", None]}}
    assert json.loads(pack_json(data)) == data
    big = {"planned": 162263635714000000000, 3: "a key that is not a text"}
    assert pack_json(big) == json.dumps(big)  # what orjson refuses: the standard encoder
    with pytest.raises(TypeError):
        pack_json({"when": dt.date(2026, 1, 1)})  # as json.dumps: a date is no JSON


def test_a_frozen_pack_reads_back_as_it_was_frozen(meeting, private_plan):
    from metrics.models import GapScore

    kpi = private_plan.kpis[0]
    score = GapScore.objects.get(subject_type="kpi", subject_id=kpi.pk, is_latest=True)
    score.components = {"items": [], "facts": {"planned_value": 162263635714000000000}}
    score.save(update_fields=["components"])
    pack, _ = pack_freeze(meeting=meeting)
    stored = Pack.objects.get(pk=pack.pk).data
    assert stored == pack.data
    item = next(i for i in stored["items"] if i["k"] == "kpi" and i["id"] == kpi.pk)
    assert repr(item["planned"]) == "162263635714000000000"
    frozen = next(i for i in pack.data["items"] if i["k"] == "kpi" and i["id"] == kpi.pk)
    assert repr(frozen["planned"]) == "162263635714000000000"


def test_refs_collect_finds_what_refs_of_yields():
    from strategy.derived import items, part, prefixed, ref, refs_collect, refs_of

    parts = prefixed(
        "Because ",
        items(
            [
                part("{k} lags", about=("objective", 2), k=ref("kpi", 3)),
                part("{i} is late", i=ref("initiative", 4, neutral="an initiative")),
                [ref("milestone", 5), "plain"],
            ]
        ),
    )
    found: set = set()
    refs_collect(parts, found)
    assert found == set(refs_of(parts)) == {
        ("objective", 2), ("kpi", 3), ("initiative", 4), ("milestone", 5),
    }  # fmt: skip


def test_freezing_pauses_the_cycle_collector_and_restores_it(meeting, monkeypatch):
    import gc

    import reviews.services.packs as services

    seen = []

    def snapshot(**kwargs):
        seen.append(gc.isenabled())
        return pack_snapshot(**kwargs)

    monkeypatch.setattr(services, "pack_snapshot", snapshot)
    assert gc.isenabled()
    pack_freeze(meeting=meeting)
    assert seen == [False]
    assert gc.isenabled()

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "pack_snapshot", broken)
    with pytest.raises(RuntimeError):
        pack_freeze(meeting=Meeting.objects.create(review=meeting.review, starts_at=timezone.now()))
    assert gc.isenabled()  # restored after a failure too
    gc.disable()
    try:
        with services.gc_paused():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()
