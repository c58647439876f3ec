"""The plan import's report: each bad row (``RowError``), each sheet's counts (``SheetReport``)
and the whole file's (``ImportReport``), with the refusal of an apply whose data changed since
its preview (``CHANGED_SINCE_PREVIEW``)."""

from __future__ import annotations

from dataclasses import dataclass, field

# Rows listed one by one in the report (the measurements sheet: its first ones, with values).
LISTED_ROWS_MAX = 5000


@dataclass
class RowError:
    """A bad row: where (sheet, row number as the spreadsheet shows it, column) and why."""

    sheet: str
    row: int
    column: str
    code: str
    message: str


@dataclass
class SheetReport:
    """What one sheet does: counts, and each row's key and action (created / updated /
    unchanged), in file order."""

    sheet: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: list[dict] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def count(self, action: str, row: int, key: str) -> None:
        """Count a row as ``created``, ``updated`` or ``unchanged``; the first
        ``LISTED_ROWS_MAX`` rows are also listed (file row, key, action)."""
        setattr(self, action, getattr(self, action) + 1)
        if len(self.rows) < LISTED_ROWS_MAX:
            self.rows.append({"row": row, "key": key, "action": action})


@dataclass
class ImportReport:
    """The preview, or the result of applying: per sheet what is created, updated and left
    alone, every bad row, and the measurements flagged as implausible (accepted)."""

    filename: str
    applied: bool = False
    sheets: list[SheetReport] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    implausible: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No bad row: the file may be applied (or was)."""
        return not self.errors

    @property
    def changed_since_preview(self) -> bool:
        """The apply was refused: the data changed since this person's preview of the file."""
        return any(e.code == CHANGED_SINCE_PREVIEW for e in self.errors)

    @property
    def changes(self) -> int:
        """Rows created or updated, all sheets together."""
        return sum(s.created + s.updated for s in self.sheets)

    def as_dict(self) -> dict:
        """The JSON shape of the API and of the command's ``--json``."""
        return {
            "filename": self.filename,
            "applied": self.applied,
            "ok": self.ok,
            "sheets": [
                {
                    "sheet": s.sheet,
                    "created": s.created,
                    "updated": s.updated,
                    "unchanged": s.unchanged,
                    "rows": s.rows,
                    "ignored_columns": s.ignored_columns,
                }
                for s in self.sheets
            ],
            "errors": [e.__dict__ for e in self.errors],
            "implausible": self.implausible,
        }


CHANGED_SINCE_PREVIEW = "changed_since_preview"
CHANGED_SINCE_PREVIEW_MESSAGE = (
    "The plan changed since your preview of this file (someone else changed what it "
    "checked): nothing was imported. Preview the file again, check it, then apply it."
)


def _changed_since_preview(filename: str) -> ImportReport:
    """The report of an apply refused because the data changed since its preview."""
    return ImportReport(
        filename=filename,
        errors=[RowError("", 0, "", CHANGED_SINCE_PREVIEW, CHANGED_SINCE_PREVIEW_MESSAGE)],
    )


_SHEET_ORDER = {
    name: i
    for i, name in enumerate(
        ["objectives", "initiatives", "kpis", "milestones", "measurements", "checkins"]
    )
}
