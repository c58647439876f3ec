"""The objectives sheet of a plan file."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from metrics.models import SubjectType
from metrics.services import (
    subjects_mark_dirty,
)
from sheets.columns import Sheet
from sheets.plan_import.base import _RunBase
from sheets.plan_import.cells import (
    OBJECTIVE_STATUSES,
    PRIORITY_CHOICES,
    _BadCell,
    _choice,
    _date,
    _decimal,
    _text,
)
from sheets.plan_import.report import SheetReport
from sheets.reading import (
    SheetRows,
)
from strategy.keys import KEY_TAKEN
from strategy.models import (
    Objective,
    Period,
    Strategy,
    Theme,
)
from strategy.services import objective_save


class _ObjectivesSheet(_RunBase):
    """The objectives sheet: the tree by parent key (no cycle), its theme and strategy, level by
    level creations."""

    def _objectives(self, sheet: Sheet, sheet_rows: SheetRows, out: SheetReport) -> None:
        rows = self._keys_once(sheet, self._rows(sheet, sheet_rows))
        keys = {row["key"] for _, row, _ in rows if row.get("key") is not None}
        parents = {_text("parent", row["parent"]) for _, row, _ in rows if row.get("parent")}
        self.load("objectives", keys | parents)
        taken = self._taken_invisible(Objective, keys, self.objectives)
        strategies = {s.name.strip().lower(): s for s in Strategy.objects.all()}
        active = next((s for s in strategies.values() if s.status == Strategy.Status.ACTIVE), None)
        themes = {(t.strategy_id, t.name.strip().lower()): t for t in Theme.objects.all()}
        periods = {p.name.strip().lower(): p for p in Period.objects.all()}
        in_file: dict[str, tuple[int, Objective, bool]] = {}
        # The rows with bad cells already reported (key: their bad columns): never written.
        reported: dict[str, set[str]] = {}
        parent_of: dict[str, str | None] = {}
        columns = {"theme": "theme", "period": "period", "team": "team"}
        for number, row, cells in rows:
            key = row.get("key")
            if key is not None and key in taken:
                self.error(sheet.name, number, "key", "unique", KEY_TAKEN)
                continue
            existing = self.objectives.get(key) if key is not None else None
            new = existing is None
            objective = existing or Objective(key=key or "")
            if existing is not None and not self.access.can_edit_objective(existing):
                self.error(
                    sheet.name, number, "key", "permission_denied",
                    "You may not change this objective.",
                )  # fmt: skip
                continue
            self._set(cells, objective, "title", _text, new=new)
            self._set(cells, objective, "description", _text, new=new)
            with cells.step():
                parent_key = _text("parent", cells.get("parent")) if row.get("parent") else None
                if "parent" not in row and existing is not None:
                    parent_key = existing.parent.key if existing.parent is not None else None
                if key is not None:
                    parent_of[key] = parent_key
            with cells.step():
                strategy = None
                if cells.get("strategy"):
                    strategy = strategies.get(_text("strategy", row["strategy"]).lower())
                    if strategy is None:
                        raise _BadCell("strategy", "not_found", f"No strategy “{row['strategy']}”.")
                elif existing is not None:
                    strategy = existing.strategy
                objective._import_strategy = strategy
            with cells.step():
                objective._import_theme = _text("theme", cells.get("theme"))
            with cells.step():
                period = periods.get(_text("period", cells.get("period")).lower())
                if period is None:
                    raise _BadCell("period", "not_found", f"No period “{row['period']}”.")
                objective.period = period
            with cells.step():
                team = self.team("team", cells.get("team"))
                if team.pk != objective.team_id and not self.access.can_create_objective_for(
                    team.pk
                ):
                    raise _BadCell(
                        "team", "permission_denied",
                        f"You may not place objectives in the team “{team.name}”.",
                    )  # fmt: skip
                objective.team = team
            with cells.step():
                if cells.get("owner") is not None:
                    objective.owner = self.owner("owner", row["owner"], objective)
                elif "owner" in row:
                    objective.owner = None
            self._set(
                cells, objective, "status",
                lambda c, v: _choice(c, v, OBJECTIVE_STATUSES), new=new,
            )  # fmt: skip
            self._set(
                cells, objective, "priority", lambda c, v: _choice(c, v, PRIORITY_CHOICES), new=new
            )
            self._set(cells, objective, "weight", _decimal, new=new)
            self._set(cells, objective, "start_date", _date, new=new)
            self._set(cells, objective, "due_date", _date, new=new)
            if self._row_bad(
                sheet.name, number, cells, objective,
                exclude=["strategy", "theme", "period", "team", "parent", "owner"],
            ):  # fmt: skip
                if key is not None:
                    # Still in the file: its references (parent, strategy, theme) are checked
                    # below and reported with its other cells, and the rows under it hear
                    # that their parent's row has errors, not that it is missing.
                    in_file[key] = (number, objective, new)
                    reported[key] = set(cells.columns)
                continue
            in_file[key] = (number, objective, new)
        # References: the parent (in the file or existing), the strategy, the theme; cycles.
        known_parents = {
            key: (o.parent.key if o.parent is not None else None)
            for key, o in self.objectives.items()
            if key not in parent_of
        }
        chain = {**known_parents, **parent_of}
        self._objective_parents_load(chain)
        chain = {**self._all_parent_keys, **chain}
        good: list[tuple[int, Objective, bool]] = []
        for key, (number, objective, new) in in_file.items():
            bad_columns = reported.get(key, set())
            parent_key = parent_of.get(key) if "parent" not in bad_columns else None
            parent = None
            if parent_key:
                parent = in_file[parent_key][1] if parent_key in in_file else None
                parent = parent or self.objectives.get(parent_key)
                if parent is None:
                    self.error(
                        sheet.name, number, "parent", "parent_not_found",
                        f"No objective has the key “{parent_key}”: the parent was not found.",
                    )  # fmt: skip
                    continue
                seen: set[str] = {key}
                step: str | None = parent_key
                cycle = False
                while step is not None:
                    if step in seen:
                        cycle = True
                        break
                    seen.add(step)
                    step = chain.get(step)
                if cycle:
                    self.error(
                        sheet.name, number, "parent", "cycle",
                        f"“{parent.title}” is aligned under “{objective.title}”: choosing it "
                        "as parent would make a cycle in the tree.",
                    )  # fmt: skip
                    continue
            objective.parent = parent
            if "strategy" in bad_columns:
                continue  # reported: the theme cannot be looked up without it
            strategy = objective._import_strategy
            if strategy is None:
                strategy = getattr(parent, "_import_strategy", None) or (
                    parent.strategy if parent is not None and parent.strategy_id else None
                )
                strategy = strategy or active
            if strategy is None:
                self.error(
                    sheet.name, number, "strategy", "required",
                    "Name the strategy: there is no active strategy to default to.",
                )  # fmt: skip
                continue
            objective._import_strategy = strategy
            objective.strategy = strategy
            if "theme" not in bad_columns:
                theme = themes.get((strategy.pk, objective._import_theme.lower()))
                if theme is None:
                    self.error(
                        sheet.name, number, "theme", "not_found",
                        f"The strategy “{strategy.name}” has no theme "
                        f"“{objective._import_theme}”.",
                    )  # fmt: skip
                    continue
                objective.theme = theme
            if parent is not None and parent.strategy_id and parent.strategy_id != strategy.pk:
                self.error(
                    sheet.name, number, "parent", "inconsistent",
                    "The parent objective belongs to another strategy.",
                )  # fmt: skip
                continue
            if key in reported:
                continue  # its bad cells are reported; the rules between fields wait for them
            try:
                objective.full_clean(
                    exclude=["strategy", "theme", "period", "team", "parent", "owner"],
                    validate_unique=False,
                    validate_constraints=False,
                )
            except ValidationError as error:
                self.model_errors(sheet.name, number, error, columns)
                continue
            good.append((number, objective, new))
        bad_keys = set(in_file) - {o.key for _, o, _ in good}
        # A row whose parent's row is bad cannot be written either (its parent would be missing).
        kept = []
        for number, objective, new in good:
            if objective.parent is not None and self._under_bad(objective, bad_keys):
                self.error(
                    sheet.name, number, "parent", "parent_not_found",
                    f"The row of the parent “{objective.parent.key}” has errors.",
                )  # fmt: skip
                bad_keys.add(objective.key)
            else:
                kept.append((number, objective, new))
        self._write("objectives", kept, out)

    def _objective_parents_load(self, chain: dict) -> None:
        """Every objective's parent key, for the cycle test (ids only; names nothing)."""
        rows = Objective.objects.values_list("id", "key", "parent_id")
        key_of = {pk: key for pk, key, _ in rows}
        self._all_parent_keys = {key: key_of.get(parent_id) for _, key, parent_id in rows}

    def _under_bad(self, objective: Objective, bad_keys: set[str]) -> bool:
        step, seen = objective.parent, set()
        while step is not None and step.key not in seen:
            if step.key in bad_keys:
                return True
            seen.add(step.key)
            step = step.parent if step._state.adding else None
        return False

    def _objectives_write(self, rows: list[tuple[int, Objective, bool]], out: SheetReport):
        depth: dict[str, int] = {}

        def level(objective: Objective) -> int:
            if objective.key in depth:
                return depth[objective.key]
            parent = objective.parent
            depth[objective.key] = (
                level(parent) + 1 if parent is not None and parent._state.adding else 0
            )
            return depth[objective.key]

        creates = [(n, o) for n, o, new in rows if new]
        by_level: dict[int, list[Objective]] = {}
        for _, objective in creates:
            by_level.setdefault(level(objective), []).append(objective)
        for lvl in sorted(by_level):
            self.bulk_create(Objective, by_level[lvl])
        if self.write:
            subjects_mark_dirty(
                subjects=[(SubjectType.OBJECTIVE, o.pk) for _, o in creates]
                + [(SubjectType.TEAM, o.team_id) for _, o in creates]
            )
        self._save_each(
            [(number, objective, new, None) for number, objective, new in rows],
            out,
            save=lambda objective, _: objective_save(objective=objective, by=self.user),
            store=self.objectives,
        )
