"""The KPIs sheet of a plan file."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from initiatives.models import Initiative
from metrics.models import KPI, SubjectType
from metrics.services import (
    kpi_plan,
    kpi_save,
)
from sheets.columns import Sheet
from sheets.plan_import.base import _RunBase
from sheets.plan_import.cells import (
    KPI_DIRECTIONS,
    KPI_KINDS,
    _BadCell,
    _bool,
    _choice,
    _date,
    _decimal,
    _float,
    _int,
    _text,
    _unsaved_references_named,
)
from sheets.plan_import.report import SheetReport
from sheets.reading import (
    SheetRows,
)
from strategy.keys import KEY_TAKEN
from strategy.models import (
    Objective,
)


class _KpisSheet(_RunBase):
    """The KPIs sheet: each KPI measures an objective or an initiative of the plan or the file."""

    def _kpis(self, sheet: Sheet, sheet_rows: SheetRows, out: SheetReport) -> None:
        rows = self._keys_once(sheet, self._rows(sheet, sheet_rows))
        keys = {row["key"] for _, row, _ in rows if row.get("key") is not None}
        self.load("kpis", keys)
        self.load(
            "objectives", {_text("o", r["objective"]) for _, r, _ in rows if r.get("objective")}
        )
        self.load(
            "initiatives", {_text("i", r["initiative"]) for _, r, _ in rows if r.get("initiative")}
        )
        taken = self._taken_invisible(KPI, keys, self.kpis)
        good: list[tuple[int, KPI, bool, dict | None]] = []
        for number, row, cells in rows:
            key = row.get("key")
            if key is not None and key in taken:
                self.error(sheet.name, number, "key", "unique", KEY_TAKEN)
                continue
            existing = self.kpis.get(key) if key is not None else None
            new = existing is None
            kpi = existing or KPI(key=key or "")
            previous = None if existing is None else kpi_plan(kpi=existing)
            if existing is not None and not self.access.can_edit_kpi(existing):
                self.error(
                    sheet.name, number, "key", "permission_denied", "You may not change this KPI."
                )
                continue
            subject: Objective | Initiative | None = None
            if "objective" in row or "initiative" in row:
                kpi.objective = kpi.initiative = None
            with cells.step():
                if cells.get("objective") is not None:
                    objective_key = _text("objective", row["objective"])
                    kpi.objective = subject = self.objectives.get(objective_key)
                    if subject is None:
                        raise self.not_found("objectives", "objective", objective_key)
            with cells.step():
                if cells.get("initiative") is not None:
                    initiative_key = _text("initiative", row["initiative"])
                    kpi.initiative = subject = self.initiatives.get(initiative_key)
                    if subject is None:
                        raise self.not_found("initiatives", "initiative", initiative_key)
            with cells.step():
                if cells.get("team") is not None:
                    kpi.team = self.team("team", row["team"])
                elif new:
                    cells.get("objective"), cells.get("initiative")  # the team follows theirs
                    if subject is not None:
                        kpi.team = subject.team
                team = kpi.team if kpi.team_id or "team" in kpi._state.fields_cache else None
                if team is None:
                    raise _BadCell(
                        "team", "required", "The team is required (or an objective or initiative)."
                    )
                if not self.access.leads(team.pk):
                    raise _BadCell(
                        "team", "permission_denied",
                        f"You may not place KPIs in the team “{kpi.team.name}”.",
                    )  # fmt: skip
            with cells.step():
                if cells.get("owner") is not None:
                    kpi.owner = self.owner("owner", row["owner"], kpi)
                elif "owner" in row:
                    kpi.owner = None
            for name, convert in (
                ("name", _text),
                ("description", _text),
                ("unit", _text),
                ("kind", lambda c, v: _choice(c, v, KPI_KINDS)),
                ("direction", lambda c, v: _choice(c, v, KPI_DIRECTIONS)),
                ("baseline_value", _float),
                ("baseline_date", _date),
                ("target_value", _float),
                ("target_date", _date),
                ("range_low", _float),
                ("range_high", _float),
                ("cadence_days", _int),
                ("weight", _decimal),
                ("data_source", _text),
                ("is_active", _bool),
            ):
                self._set(cells, kpi, name, convert, new=new)
            exclude = ["team", "owner", "objective", "initiative"]
            if self._row_bad(sheet.name, number, cells, kpi, exclude=exclude):
                continue
            try:
                with _unsaved_references_named(kpi, ("objective", "initiative")):
                    kpi.full_clean(
                        exclude=exclude, validate_unique=False, validate_constraints=False
                    )
            except ValidationError as error:
                self.model_errors(sheet.name, number, error, {})
                continue
            good.append((number, kpi, new, previous))
        self._write("kpis", good, out)

    def _kpis_write(self, good: list[tuple], out: SheetReport) -> None:
        self._create_new(KPI, good, dirty=lambda k: [(SubjectType.KPI, k.pk)])
        reason = f"Imported from {self.filename or 'a spreadsheet'}."
        self._save_each(
            good,
            out,
            save=lambda kpi, previous: kpi_save(
                kpi=kpi, changed_by=self.user, reason=reason, previous_plan=previous
            ),
            store=self.kpis,
        )
