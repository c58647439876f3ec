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

from initiatives.models import Initiative
from metrics.models import KPI
from strategy.demo import org
from strategy.demo.names import UNIT_NAMES
from strategy.demo.series import SeriesPlan
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
        return f" ({self.unit})" if self.unit else ""

    @property
    def slug_suffix(self) -> str:
        return f"-{slugify_ascii(self.unit)}" if self.unit else ""

    def leader_of(self, team_ref: str) -> AuthUser | None:
        for spec in org.PEOPLE:
            if (team_ref, "leader") in spec.memberships and spec.ref in self.people:
                return self.people[spec.ref]
        return None


def _has_history(model: type[models.Model]) -> bool:
    return hasattr(model, "history") and hasattr(model.history, "model")


def slugify_ascii(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text.lower()).split())


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, 1)


def day_label(day: dt.date) -> str:
    return f"{day.day} {day:%B}"


def unit_name(index: int) -> str | None:
    if index == 0:
        return None
    if index <= len(UNIT_NAMES):
        return UNIT_NAMES[index - 1]
    return f"Unit {index + 1}"


class BuilderBase:
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
        if any(f.name == "key" for f in model._meta.fields) and hasattr(model, "title"):
            keys_fill(model=model, rows=rows)  # objectives, initiatives: bulk skips the service
        for start in range(0, len(rows), batch_size):
            chunk = rows[start : start + batch_size]
            if _has_history(model):
                # The plan's definitions are recorded as created (activity/history.py).
                bulk_create_with_history(chunk, model, batch_size=batch_size)
            else:
                model._default_manager.bulk_create(chunk)
            self.bar.update(len(chunk))
        return rows

    def at(self, day: dt.date, rng: random.Random) -> dt.datetime:
        return dt.datetime.combine(
            day, dt.time(rng.randint(8, 18), rng.randint(0, 59)), tzinfo=self.tz
        )

    def person(self, copy: OrgCopy, ref: str | None, fallback_team: str | None = None):
        if ref is None:
            return None
        if ref in copy.people:
            return copy.people[ref]
        return copy.leader_of(fallback_team) if fallback_team else None

    def username_for(self, first: str, last: str) -> str:
        base = slugify_ascii(f"{first} {last}").replace("-", ".")[:140]
        name, n = base, 1
        while name in self.usernames:
            n += 1
            name = f"{base}{n}"
        self.usernames.add(name)
        return name

    def insert_updates(self, model, rows: list, fields: list[str]) -> None:
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
