"""Skipping subjects whose inputs did not change (issue #19): the full recompute's KPI and
initiative chunks and its rollups.

A KPI's score, forecast and alerts are a function of its inputs: the KPI row as the engine
reads it (plan, owners, the statuses of the work it measures), its trajectory points, its
newest measurements, who its alerts are routed to, the day, the GAP_* settings, the time zone
and the code that scores. An initiative's are its row (status, dates, progress, budget and
spend, last check-in), its milestones, its KPIs' stored scores and its route; a rollup's
(objective, team, theme, strategy), its row, its parts' scores as the run sees them, the
causes of its root alert and its route.
``inputs_fingerprint`` digests them; the score row keeps the digest (``GapScore.inputs``), and
a later full recompute of the same day that reads the same inputs skips the subject instead
of scoring it again: same inputs, same outputs, nothing to write. (A day's first run writes
every subject anyway: a new day is a new snapshot.)

What the digest cannot see is kept out of skipping (``Unchanged.settled``):

* a subject with an alert *holding* in its margin (``clear_since`` set): whether it resolves
  depends on the time, not on the inputs;
* a subject whose alert a person acted on (an ``AlertEvent`` with ``by``) since its score was
  computed: a person's resolve is final, and the engine opens a fresh alert on its next run.

What a skipped subject's run would still have written, the engine writes in one statement:
the refresh of its firing alerts' ``last_seen_at`` (``Unchanged.alerts_seen``).

The incremental recompute never skips: a dirty mark says something changed, and a KPI
recomputed there rolls its parents up.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import pkgutil
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import orjson
from django.conf import settings
from django.core.signals import setting_changed
from django.db.models import Q
from django.dispatch import receiver

from metrics.engine.common import Key, LatestCache, subjects_q
from metrics.models import Alert, AlertEvent

# The modules whose code turns a KPI's inputs into its score and alerts: a change to any of
# them (an upgrade) makes every stored digest stale.
SCORING_MODULES = (
    "metrics.scoring",
    "metrics.alerts",
    "metrics.engine.kpis",
    "metrics.engine.initiatives",
    "metrics.engine.rollups",
)


@lru_cache(maxsize=1)
def engine_salt() -> str:
    """A digest of the code that scores (the source of ``SCORING_MODULES`` and their
    submodules), of every GAP_* setting and of the time zone; computed once per process
    (hex, 40 characters)."""
    digest = hashlib.sha1(usedforsecurity=False)
    modules = []
    for name in SCORING_MODULES:
        module = importlib.import_module(name)
        modules.append(module)
        if hasattr(module, "__path__"):  # a package: every submodule, imported in name order
            modules += [
                importlib.import_module(info.name)
                for info in sorted(
                    pkgutil.walk_packages(module.__path__, f"{name}."), key=lambda i: i.name
                )
            ]
    for module in modules:
        try:
            digest.update(inspect.getsource(module).encode())
        except (OSError, TypeError):  # no source on disk (a frozen build): its name only
            digest.update(module.__name__.encode())
    gap = sorted((k, repr(getattr(settings, k))) for k in dir(settings) if k.startswith("GAP_"))
    gap.append(("TIME_ZONE", settings.TIME_ZONE))  # "today" and the day of a check-in
    digest.update(repr(gap).encode())
    return digest.hexdigest()


@receiver(setting_changed)
def _settings_changed(**kwargs) -> None:
    """A GAP_* setting or the time zone changed in this process (tests, a shell): the salt
    is computed again."""
    if kwargs.get("setting", "").startswith("GAP_") or kwargs.get("setting") == "TIME_ZONE":
        engine_salt.cache_clear()


def inputs_fingerprint(*parts: object) -> str:
    """The digest of a subject's inputs, with ``engine_salt``: 40 hex characters
    (``GapScore.inputs``). ``parts``: bytes (``points_bytes``) or plain values (numbers,
    strings, dates, tuples and dicts of them) whose ``repr`` is stable."""
    digest = hashlib.sha1(engine_salt().encode(), usedforsecurity=False)
    for part in parts:
        data = part if isinstance(part, bytes) else repr(part).encode()
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def canonical(value: object) -> bytes:
    """JSON-like ``value`` (dataclasses such as rollup parts, dicts, lists, numbers, text) as
    bytes with sorted keys, for ``inputs_fingerprint``: the same parts read from this run's
    outcomes or from stored JSON (whose key order the database chooses) give the same bytes."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return repr(value).encode()


def points_bytes(points: Sequence[tuple[date, float]]) -> bytes:
    """Dated values (measurements, trajectory points) packed for ``inputs_fingerprint``: the
    days' ordinals and the values' exact doubles (a tenth of the cost of their ``repr``);
    points with a missing value fall back to their ``repr``."""
    try:
        return struct.pack(
            f"<{len(points)}i{len(points)}d",
            *[day.toordinal() for day, _value in points],
            *[value for _day, value in points],
        )
    except (struct.error, TypeError):
        return repr(tuple(points)).encode()


@dataclass
class Unchanged:
    """Which subjects of a full recompute's chunk may be skipped, and the ones skipped.

    ``latest``: the chunk's cache of latest scores (read once for the check and the write);
    ``today``: the day computed (a skipped subject's latest score is of that day);
    ``skipped``: the keys skipped so far, in order."""

    latest: LatestCache
    today: date
    skipped: list[Key] = field(default_factory=list)
    _unsettled: set[Key] = field(default_factory=set)
    _alert_keys: dict[Key, tuple[Key, ...]] = field(default_factory=dict)
    _seen: list[Key] = field(default_factory=list)

    def load(
        self, *, keys: list[Key], alert_keys: dict[Key, tuple[Key, ...]] | None = None
    ) -> None:
        """Read the latest scores of ``keys`` and which of them are unsettled (two queries,
        three when a person acted on an alert since): call once before ``settled``.
        ``alert_keys``: the subjects whose alerts a key's run syncs besides its own (an
        initiative's milestones)."""
        self.latest.load(keys=keys)
        self._alert_keys = {k: (k, *(alert_keys or {}).get(k, ())) for k in keys}
        owner = {a: k for k, subjects in self._alert_keys.items() for a in subjects}
        self._unsettled = set()
        if not keys:
            return
        self._unsettled.update(
            owner[key]
            for key in Alert.objects.filter(
                subjects_q(owner), status__in=Alert.ACTIVE_STATUSES, clear_since__isnull=False
            )
            .order_by()
            .values_list("subject_type", "subject_id")
        )
        scored = {k: row.computed_at for k in keys if (row := self.latest.get(k)) and row.inputs}
        if not scored:
            return
        watched = {a: k for a, k in owner.items() if k in scored}
        for subject_type, subject_id, at in (
            AlertEvent.objects.filter(
                at__gte=min(scored.values()),
                by__isnull=False,
                alert__in=Alert.objects.filter(subjects_q(watched)),
            )
            .order_by()
            .values_list("alert__subject_type", "alert__subject_id", "at")
        ):
            key = watched.get((subject_type, subject_id))
            if key is not None and at >= scored[key]:
                self._unsettled.add(key)

    def settled(self, key: Key, inputs: str) -> bool:
        """True (and the key recorded as skipped) when the subject's latest score is of
        ``today``, was computed from ``inputs``, and nothing the digest cannot see happened."""
        row = self.latest.get(key)
        if (
            row is None
            or row.as_of != self.today
            or not inputs
            or row.inputs != inputs
            or key in self._unsettled
        ):
            return False
        self.skipped.append(key)
        self._seen += self._alert_keys.get(key, (key,))
        return True

    def alerts_seen(self, *, kinds: frozenset[str], now: datetime, cutoff: datetime) -> int:
        """Refresh ``last_seen_at`` of the skipped subjects' firing alerts (theirs and those of
        their ``alert_keys``; active, of
        ``kinds``, not holding) last seen before ``cutoff``, as their sync would have; one
        statement. Returns the rows updated."""
        if not self._seen:
            return 0
        return Alert.objects.filter(
            subjects_q(self._seen),
            Q(last_seen_at__lt=cutoff),
            status__in=Alert.ACTIVE_STATUSES,
            kind__in=sorted(kinds),
            clear_since__isnull=True,
        ).update(last_seen_at=now)


def row_parts(row: Mapping[str, Any]) -> tuple:
    """A KPI row's values in a stable order, for ``inputs_fingerprint``."""
    return tuple(sorted(row.items()))
