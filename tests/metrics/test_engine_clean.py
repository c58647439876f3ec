"""``clean``, the engine's JSON-safe form of every stored figure (issue #19: made cheaper by
checking exact types first), gives what the general recursion gave, on any nested value."""

from __future__ import annotations

import datetime as dt
import enum
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.engine.common import clean


def _general(value):
    """``clean`` before issue #19: one recursive call per value, ``isinstance`` first."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {str(k): _general(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_general(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


class Kind(enum.StrEnum):
    KPI = "kpi"


class Rank(enum.IntEnum):
    HIGH = 3


leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.dates(),
    st.datetimes(),
    st.sampled_from([Kind.KPI, Rank.HIGH]),
)
keys = st.one_of(st.text(max_size=3), st.integers(), st.floats(allow_nan=False), st.just(Kind.KPI))
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(keys, inner, max_size=4),
    ),
    max_leaves=30,
)


@settings(max_examples=500, deadline=None)
@given(values)
def test_clean_is_the_general_recursion(value):
    assert repr(clean(value)) == repr(_general(value))
