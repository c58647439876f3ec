"""Properties of the scoring maths (hypothesis)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from metrics.scoring import Child, KpiPlan, kpi_score, rollup_score
from metrics.scoring.common import STATUS_RANK

JAN1 = dt.date(2026, 1, 1)
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def plans(draw):
    direction = draw(st.sampled_from(["increase", "decrease", "range"]))
    baseline = draw(finite)
    distance = draw(st.floats(min_value=0.01, max_value=1e5))
    days = draw(st.integers(min_value=1, max_value=1000))
    target = baseline + distance if direction != "decrease" else baseline - distance
    low = high = None
    if direction == "range":
        low, high = target - distance / 2, target + distance / 2
    return KpiPlan(
        name="K",
        direction=direction,
        baseline_value=baseline,
        baseline_date=JAN1,
        target_value=target,
        target_date=JAN1 + dt.timedelta(days=days),
        range_low=low,
        range_high=high,
    )


def _better(plan: KpiPlan, value: float, step: float) -> float:
    """A value that is at least as good as ``value`` for this plan."""
    if plan.direction == "increase":
        return value + step
    if plan.direction == "decrease":
        return value - step
    centre = plan.target_value
    return value + min(step, abs(centre - value)) * (1 if value < centre else -1)


@given(plans(), finite, st.floats(min_value=0, max_value=1e6), st.integers(0, 1200))
def test_more_progress_never_worsens_a_kpis_status(plan, value, step, day):
    as_of = JAN1 + dt.timedelta(days=day)
    worse = kpi_score(plan=plan, measurements=[(as_of, value)], today=as_of)
    better = kpi_score(plan=plan, measurements=[(as_of, _better(plan, value, step))], today=as_of)
    assert STATUS_RANK[better.status] <= STATUS_RANK[worse.status]
    assert better.score >= worse.score - 1e-9


@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.floats(min_value=0, max_value=100)),
            st.floats(min_value=0.01, max_value=100),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_rollups_stay_within_the_range_of_their_inputs(parts):
    children = [Child(f"k{i}", f"K{i}", s, w, "on_track") for i, (s, w) in enumerate(parts)]
    result = rollup_score(children=children)
    scores = [s for s, _ in parts if s is not None]
    if not scores:
        assert result.score is None
        return
    assert min(scores) <= result.score <= max(scores)
    # Contributors explain the gap, never more than it (up to their 2-decimal rounding).
    explained = sum(c["gap_points"] for c in result.contributors)
    assert 0 <= explained <= 100 - result.score + 0.005 * len(result.contributors) + 1e-6
