"""The organisation: people, teams and memberships, periods, the strategy, objectives."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import Group

from demo.builder import org
from demo.builder.base import BuilderBase, User, add_months, slugify_ascii
from demo.builder.names import FIRST_NAMES, LAST_NAMES
from strategy.models import (
    STRATEGY_OFFICE_GROUP,
    Membership,
    Objective,
    Period,
    Strategy,
    Team,
    Theme,
)


class OrgBuilder(BuilderBase):
    """Builds the demo's people, teams, periods, strategy, themes and objectives."""

    # --- the organisation -----------------------------------------------------------------------
    def build_people(self) -> None:
        """Insert the people of ``org.PEOPLE`` for every copy (a business unit gets new random names
        and no office, CEO or board) and put the office in the strategy office's group. Every login
        shares the demo password, or, with ``passwords``, only the company's logins named there get
        one (the others none usable)."""
        user = User(username="_")
        if self.passwords is None:
            user.set_password(org.DEMO_PASSWORD)  # hashed once: every demo login shares it
        else:
            user.set_unusable_password()  # production: only the logins given a password
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
                if self.passwords and copy.index == 0 and username in self.passwords:
                    person.set_password(self.passwords[username])
                copy.people[spec.ref] = person
                rows.append(person)
        self.insert(User, rows)
        office = self.copies[0].people["office"]
        office.groups.add(Group.objects.get_or_create(name=STRATEGY_OFFICE_GROUP)[0])

    def build_teams(self) -> None:
        """Insert the teams of ``org.TEAMS`` for every copy, parents first (a business unit shares
        the company team), and their memberships (a business unit's people have none on the
        company)."""
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
                    slug=slugify_ascii(spec.ref if spec.kind != "company" else spec.name)
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
        """Insert last year's and this year's periods and this year's quarters (``self.periods``;
        ``"quarter"`` is today's), the active strategy (last year to next year, owned by the CEO)
        and its themes."""
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
                end_date=add_months(start, 3) - dt.timedelta(days=1),
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
        """Insert the objectives of ``org.OBJECTIVES`` for every copy, parents first, over their
        period; in a business unit a company objective becomes the unit team's contribution under
        the company's, led by that team's leader."""
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
                    assert spec.unit_team is not None  # a company objective names its unit team
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
