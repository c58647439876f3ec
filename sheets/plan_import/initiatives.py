"""The sheets of the work: initiatives, milestones and check-ins of a plan file."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects

from initiatives.models import CheckIn, Initiative, Milestone, blocker_tags_join
from initiatives.services import (
    checkin_append,
    initiative_save,
    initiative_status_follow,
    milestone_save,
)
from metrics.models import SubjectType
from metrics.work import work_milestone_notify
from sheets.columns import Sheet
from sheets.plan_import.base import _RunBase
from sheets.plan_import.cells import (
    CHECK_IN_RAGS,
    INITIATIVE_STATUSES,
    PRIORITY_CHOICES,
    _BadCell,
    _choice,
    _date,
    _datetime,
    _decimal,
    _int,
    _text,
)
from sheets.plan_import.report import SheetReport
from sheets.reading import (
    SheetRows,
)
from strategy.keys import KEY_TAKEN


class _InitiativesSheets(_RunBase):
    """The sheets of the work on the plan: initiatives, their milestones and their check-ins."""

    def _initiatives(self, sheet: Sheet, sheet_rows: SheetRows, out: SheetReport) -> None:
        rows = self._keys_once(sheet, self._rows(sheet, sheet_rows))
        keys = {row["key"] for _, row, _ in rows if row.get("key") is not None}
        self.load("initiatives", keys)
        self.load(
            "objectives", {_text("o", r["objective"]) for _, r, _ in rows if r.get("objective")}
        )
        taken = self._taken_invisible(Initiative, keys, self.initiatives)
        good: list[tuple[int, Initiative, bool, str | None]] = []
        for number, row, cells in rows:
            key = row.get("key")
            if key is not None and key in taken:
                self.error(sheet.name, number, "key", "unique", KEY_TAKEN)
                continue
            existing = self.initiatives.get(key) if key is not None else None
            new = existing is None
            initiative = existing or Initiative(key=key or "")
            from_status = None if existing is None else existing.status
            if existing is not None and not self.access.can_edit_initiative(existing):
                self.error(
                    sheet.name, number, "key", "permission_denied",
                    "You may not change this initiative.",
                )  # fmt: skip
                continue
            with cells.step():
                objective_key = _text("objective", cells.get("objective"))
                objective = self.objectives.get(objective_key)
                if objective is None:
                    raise self.not_found("objectives", "objective", objective_key)
                initiative.objective = objective
            with cells.step():
                if cells.get("team") is not None:
                    initiative.team = self.team("team", row["team"])
                elif new:
                    cells.get("objective")  # the team follows the objective's, once found
                    initiative.team = initiative.objective.team
                if not self.access.leads(initiative.team_id or initiative.team.pk):
                    raise _BadCell(
                        "team", "permission_denied",
                        f"You may not place initiatives in the team “{initiative.team.name}”.",
                    )  # fmt: skip
            with cells.step():
                if cells.get("owner") is not None:
                    initiative.owner = self.owner("owner", row["owner"], initiative)
                elif "owner" in row:
                    initiative.owner = None
            for name, convert in (
                ("title", _text),
                ("description", _text),
                ("status", lambda c, v: _choice(c, v, INITIATIVE_STATUSES)),
                ("priority", lambda c, v: _choice(c, v, PRIORITY_CHOICES)),
                ("start_date", _date),
                ("due_date", _date),
                ("progress", _int),
                ("budget_planned", _decimal),
                ("effort_planned_fte", _decimal),
                ("checkin_cadence_days", _int),
                ("weight", _decimal),
            ):
                self._set(cells, initiative, name, convert, new=new)
            exclude = ["objective", "team", "owner", "contributors"]
            if self._row_bad(sheet.name, number, cells, initiative, exclude=exclude):
                continue
            try:
                if new:
                    initiative_status_follow(
                        initiative=initiative, from_status=None, today=self.today
                    )
                initiative.full_clean(
                    exclude=exclude, validate_unique=False, validate_constraints=False
                )
            except ValidationError as error:
                self.model_errors(sheet.name, number, error, {})
                continue
            good.append((number, initiative, new, from_status))
        self._write("initiatives", good, out)

    def _initiatives_write(self, good: list[tuple], out: SheetReport) -> None:
        self._create_new(
            Initiative,
            good,
            dirty=lambda i: [
                (SubjectType.INITIATIVE, i.pk),
                (SubjectType.OBJECTIVE, i.objective_id),
            ],
        )
        self._save_each(
            good,
            out,
            save=lambda initiative, _: initiative_save(initiative=initiative, by=self.user),
            store=self.initiatives,
        )

    def _milestones(self, sheet: Sheet, sheet_rows: SheetRows, out: SheetReport) -> None:
        rows = self._rows(sheet, sheet_rows)
        self.load(
            "initiatives", {_text("i", r["initiative"]) for _, r, _ in rows if r.get("initiative")}
        )
        ids = [i.pk for i in self.initiatives.values() if i.pk]
        existing = {
            (m.initiative_id, m.title.strip().lower()): m
            for m in Milestone.objects.filter(initiative_id__in=ids)
        }
        first: dict[tuple[str, str], int] = {}
        good: list[tuple[int, Milestone, bool, None]] = []
        for number, _row, cells in rows:
            initiative = title = None
            with cells.step():
                title = _text("title", cells.get("title"))
            with cells.step():
                initiative_key = _text("initiative", cells.get("initiative"))
                initiative = self.initiatives.get(initiative_key)
                if initiative is None:
                    raise self.not_found("initiatives", "initiative", initiative_key)
                if not self.access.can_edit_initiative(initiative):
                    raise _BadCell(
                        "initiative", "permission_denied", "You may not change this initiative."
                    )
            milestone = None
            if initiative is not None and title is not None and not cells.bad:
                label = f"{initiative_key} / {title}"
                ident = (initiative_key, title.lower())
                if ident in first:
                    self.error(
                        sheet.name, number, "title", "duplicate_key",
                        f"Row {first[ident]} already has the milestone “{title}” of this "
                        "initiative.",
                    )  # fmt: skip
                    continue
                first[ident] = number
                milestone = existing.get((initiative.pk, title.lower())) if initiative.pk else None
                if milestone is not None:
                    milestone.initiative = initiative  # read once, for the notices too
            new = milestone is None
            milestone = milestone or Milestone(initiative=initiative, title=title or "")
            for name, convert in (
                ("due_date", _date),
                ("completed_on", _date),
                ("weight", _decimal),
            ):
                self._set(cells, milestone, name, convert, new=new)
            if self._row_bad(sheet.name, number, cells, milestone, exclude=["initiative"]):
                continue
            try:
                milestone.full_clean(
                    exclude=["initiative"], validate_unique=False, validate_constraints=False
                )
            except ValidationError as error:
                self.model_errors(sheet.name, number, error, {})
                continue
            milestone._import_label = label
            good.append((number, milestone, new, None))
        self._write("milestones", good, out)

    def _milestones_write(self, good: list[tuple], out: SheetReport) -> None:
        """New milestones at once, changed ones through ``milestone_save``; the initiatives'
        people hear of both (``metrics.work``, in the import's batch: their contributors are
        read in one query)."""
        if self.write:
            initiatives = {m.initiative_id: m.initiative for _, m, _, _ in good}
            prefetch_related_objects(list(initiatives.values()), "contributors")
        self._create_new(
            Milestone, good, dirty=lambda m: [(SubjectType.INITIATIVE, m.initiative_id)]
        )
        if self.write:
            for _, milestone, new, _ in good:
                if new:
                    work_milestone_notify(milestone=milestone, by=self.user, created=True)
        self._save_each(
            good,
            out,
            save=lambda milestone, _: milestone_save(milestone=milestone, by=self.user),
            label=lambda milestone: milestone._import_label,
        )

    def _checkins(self, sheet: Sheet, sheet_rows: SheetRows, out: SheetReport) -> None:
        rows = self._rows(sheet, sheet_rows)
        self.load(
            "initiatives", {_text("i", r["initiative"]) for _, r, _ in rows if r.get("initiative")}
        )
        ids = [i.pk for i in self.initiatives.values() if i.pk]
        existing = set(
            CheckIn.objects.filter(initiative_id__in=ids).values_list(
                "initiative_id", "author_id", "created_at"
            )
        )
        good: list[tuple[int, CheckIn, str]] = []
        first: dict[tuple, int] = {}
        columns = {"rag": "status"}
        for number, row, cells in rows:
            checkin = CheckIn(
                blockers=_text("blockers", row["blockers"]) if row.get("blockers") else "",
                next_steps=_text("next_steps", row["next_steps"]) if row.get("next_steps") else "",
            )
            with cells.step("blocker_tags"):
                checkin.blocker_tags = blocker_tags_join(
                    tag.strip().lower()
                    for tag in re.split(r"[,;]", str(cells.get("blocker_tags") or ""))
                    if tag.strip()
                )
            with cells.step():
                initiative_key = _text("initiative", cells.get("initiative"))
                initiative = self.initiatives.get(initiative_key)
                if initiative is None:
                    raise self.not_found("initiatives", "initiative", initiative_key)
                if not self.access.can_update_initiative(initiative):
                    raise _BadCell(
                        "initiative", "permission_denied",
                        "You may not post check-ins on this initiative.",
                    )  # fmt: skip
                checkin.initiative = initiative
            with cells.step():
                if checkin.initiative_id is not None:
                    checkin.author = self.owner(
                        "author", cells.get("author"), checkin, role="have written it"
                    )
                else:
                    checkin.author = self.person("author", cells.get("author"))
            with cells.step():
                checkin.created_at = _datetime("created_at", cells.get("created_at"))
            for field_name, column, convert in (
                ("rag", "status", lambda c, v: _choice(c, v, CHECK_IN_RAGS)),
                ("confidence", "confidence", _int),
                ("progress", "progress", _int),
                ("summary", "summary", _text),
            ):
                with cells.step():
                    setattr(checkin, field_name, convert(column, cells.get(column)))
            exclude = ["initiative", "author"]
            if self._row_bad(sheet.name, number, cells, checkin, exclude=exclude, columns=columns):
                continue
            label = f"{initiative_key} / {checkin.created_at:%Y-%m-%d %H:%M}"
            ident = (initiative_key, checkin.author.pk, checkin.created_at)
            if ident in first:
                self.error(
                    sheet.name, number, "created_at", "duplicate_key",
                    f"Row {first[ident]} already has a check-in by this author at this time.",
                )  # fmt: skip
                continue
            first[ident] = number
            initiative = checkin.initiative  # set: the row has no bad cell
            if initiative.pk and (initiative.pk, checkin.author.pk, checkin.created_at) in existing:
                out.count("unchanged", number, label)
                continue
            try:
                checkin.full_clean(
                    exclude=exclude, validate_unique=False, validate_constraints=False
                )
            except ValidationError as error:
                self.model_errors(sheet.name, number, error, columns)
                continue
            good.append((number, checkin, label))
        written = []
        for number, checkin, label in sorted(good, key=lambda g: g[1].created_at):
            try:
                checkin_append(checkin=checkin)  # the initiative's progress follows the newest
            except ValidationError as error:
                self.model_errors(sheet.name, number, error, columns)
            else:
                written.append((number, label))
        for number, label in sorted(written):
            out.count("created", number, label)
