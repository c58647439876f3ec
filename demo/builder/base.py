"""Shared state and helpers of the demo builders: copies of the organisation, inserts."""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone
from simple_history.utils import bulk_create_with_history
from tqdm import tqdm

from demo.builder import org
from demo.builder.names import UNIT_NAMES
from demo.builder.series import SeriesPlan
from initiatives.models import Initiative
from metrics.models import KPI
from strategy.keys import keys_fill
from strategy.models import Objective, Strategy, Team, history_m2m_record

if TYPE_CHECKING:
    from django.contrib.auth.models import User as AuthUser

User = get_user_model()
BATCH = 2000


@dataclass
class OrgCopy:
    """One copy of the organisation: copy 0 is the company itself, others business units."""

    index: int
    unit: str | None
    rng: random.Random
    teams: dict[str, Team] = field(default_factory=dict)
    people: dict[str, AuthUser] = field(default_factory=dict)
    objectives: dict[str, Objective] = field(default_factory=dict)
    initiatives: dict[str, Initiative] = field(default_factory=dict)

    @property
    def suffix(self) -> str:
        """Appended to this copy's names: `` (unit)``; '' for the company itself."""
        return f" ({self.unit})" if self.unit else ""

    @property
    def slug_suffix(self) -> str:
        """Appended to this copy's slugs: ``-unit``; '' for the company itself."""
        return f"-{slugify_ascii(self.unit)}" if self.unit else ""

    def leader_of(self, team_ref: str) -> AuthUser | None:
        """The person this copy made leader of the team (by the team's ref in ``org.PEOPLE``), or
        None."""
        for spec in org.PEOPLE:
            if (team_ref, "leader") in spec.memberships and spec.ref in self.people:
                return self.people[spec.ref]
        return None


def _has_history(model: type[models.Model]) -> bool:
    return hasattr(model, "history") and hasattr(model.history, "model")


def slugify_ascii(text: str) -> str:
    """A slug of ``text`` in ASCII: accents dropped, lower case, runs of other characters as one
    ``-``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text.lower()).split())


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after (or, negative, before) ``day``'s month."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, 1)


def day_label(day: dt.date) -> str:
    """``day`` written as "3 March"."""
    return f"{day.day} {day:%B}"


def unit_name(index: int) -> str | None:
    """The business unit of copy ``index``: None for copy 0 (the company), then the names of
    ``UNIT_NAMES``, then "Unit <index + 1>"."""
    if index == 0:
        return None
    if index <= len(UNIT_NAMES):
        return UNIT_NAMES[index - 1]
    return f"Unit {index + 1}"


class BuilderBase:
    """What every demo builder shares: the seed, today, the scale (copies of the organisation, each
    with its own seeded random generator), the progress bar, the usernames taken and the measurement
    series still to insert."""

    strategy: Strategy  # the demo's strategy, set by OrgBuilder's build (before the others)

    def __init__(
        self,
        *,
        seed: int,
        today: dt.date,
        scale: int,
        bar: tqdm,
        passwords: dict[str, str] | None = None,
    ) -> None:
        self.seed, self.today, self.scale, self.bar = seed, today, scale, bar
        self.passwords = passwords
        self.tz = timezone.get_current_timezone()
        self.copies = [
            OrgCopy(index=i, unit=unit_name(i), rng=random.Random(f"execsupport-demo:{seed}:{i}"))
            for i in range(scale)
        ]
        self.usernames: set[str] = set()
        self.series_jobs: list[tuple[KPI, SeriesPlan, dt.date, dt.date, int, int]] = []

    # --- helpers --------------------------------------------------------------------------------
    def insert(self, model: type[models.Model], rows: list, batch_size: int = BATCH) -> list:
        """Bulk-insert ``rows`` in batches, with history records for the models that keep history
        and keys for objectives and initiatives (the bulk insert skips the services); advances the
        progress bar. Returns ``rows``."""
        if any(f.name == "key" for f in model._meta.fields) and hasattr(model, "title"):
            keys_fill(model=model, rows=rows)  # objectives, initiatives: bulk skips the service
        for start in range(0, len(rows), batch_size):
            chunk = rows[start : start + batch_size]
            if _has_history(model):
                # The plan's definitions are recorded as created (activity/history/).
                bulk_create_with_history(chunk, model, batch_size=batch_size)
            else:
                model._default_manager.bulk_create(chunk)
            self.bar.update(len(chunk))
        return rows

    def at(self, day: dt.date, rng: random.Random) -> dt.datetime:
        """A moment on ``day`` between 8:00 and 18:59, local time, drawn with ``rng``."""
        return dt.datetime.combine(
            day, dt.time(rng.randint(8, 18), rng.randint(0, 59)), tzinfo=self.tz
        )

    def person(self, copy: OrgCopy, ref: str | None, fallback_team: str | None = None):
        """The copy's person of ``ref``, else the leader of ``fallback_team``, else None."""
        if ref is None:
            return None
        if ref in copy.people:
            return copy.people[ref]
        return copy.leader_of(fallback_team) if fallback_team else None

    def username_for(self, first: str, last: str) -> str:
        """A username not used yet in this run: ``first.last``, then ``first.last2``,
        ``first.last3``…; records it as taken."""
        base = slugify_ascii(f"{first} {last}").replace("-", ".")[:140]
        name, n = base, 1
        while name in self.usernames:
            n += 1
            name = f"{base}{n}"
        self.usernames.add(name)
        return name

    def insert_updates(self, model, rows: list, fields: list[str]) -> None:
        """Bulk-update ``fields`` of ``rows`` in batches; for the models that keep history, each row
        gets an update record listing its many-to-many members."""
        for start in range(0, len(rows), BATCH):
            if _has_history(model):
                chunk = rows[start : start + BATCH]
                model.objects.bulk_update(chunk, fields)
                # Its versions list the many-to-many members (an initiative's contributors
                # and dependencies) as every version does.
                records = model.history.bulk_history_create(chunk, update=True)
                history_m2m_record(model=model, records=records)
            else:
                model.objects.bulk_update(rows[start : start + BATCH], fields)
