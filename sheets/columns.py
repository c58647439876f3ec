"""The sheets of a plan file and their columns: one description serves the import, the
templates, the sheet that explains the columns, and the exports (which write the same columns,
so an exported file imports back as updates).

Rows reference each other by key: an objective's ``parent`` and a KPI's ``objective`` are
objective keys, an initiative's ``objective`` too; KPIs, milestones, measurements and check-ins
name their initiative or KPI by its key. A key is one already in ExecSupport or one given in
the same file. People are named by e-mail, teams by slug (or name), strategies, themes and
periods by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Column:
    """One column: its header, whether a row needs it, what it holds, an example value."""

    name: str
    required: bool
    help: str
    example: str = ""
    # Written by the export for people to read (names next to keys); ignored by the import.
    export_only: bool = False
    # Its name in the API's CSV, which gains it next to the API's id of the same reference
    # (``sheets.exports.api_named_columns``); empty: the API has it already, or not at all.
    api: str = ""


@dataclass(frozen=True)
class Sheet:
    """One sheet of a plan file, in the order the import applies them."""

    name: str
    title: str
    help: str
    columns: tuple[Column, ...]

    @property
    def headers(self) -> list[str]:
        """The column names in the template's order."""
        return [column.name for column in self.columns]

    # Computed once per sheet (the import asks for each row); the sheet is frozen.

    @cached_property
    def import_headers(self) -> frozenset[str]:
        """The columns the import reads (the export-only ones left out)."""
        return frozenset(column.name for column in self.columns if not column.export_only)

    @cached_property
    def required(self) -> frozenset[str]:
        """The columns every row must fill."""
        return frozenset(column.name for column in self.columns if column.required)


C = Column


def _ids(*names: str) -> tuple[Column, ...]:
    """Database ids written by the export next to the names (ignored by the import)."""
    return tuple(C(name, False, "ExecSupport's id (export only).", "", True) for name in names)


def _keyed(prefix: str, required: bool, help: str, example: str, *, title: str = "") -> tuple:
    """A reference by key (the API's CSV names it ``<prefix>_key``), with the referenced
    object's title next to it when ``title`` says whose (export only)."""
    key = C(prefix, required, help, example, api=f"{prefix}_key")
    if not title:
        return (key,)
    text = f"{title} title (export only)."
    return key, C(f"{prefix}_title", False, text, "", True, api=f"{prefix}_title")


def _email(prefix: str, required: bool, help: str, example: str = "") -> Column:
    """A person by e-mail address (``<prefix>_email`` in the API's CSV)."""
    return C(prefix, required, help, example, api=f"{prefix}_email")


def _name_of(prefix: str, whose: str) -> Column:
    """A person's name next to their e-mail address (export only)."""
    return C(
        f"{prefix}_name", False, f"{whose} name (export only).", "", True, api=f"{prefix}_name"
    )


def _person(prefix: str, help: str, example: str, whose: str) -> tuple[Column, Column]:
    """An optional person: e-mail address, then name."""
    return _email(prefix, False, help, example), _name_of(prefix, whose)


def _team(required: bool, help: str, example: str) -> tuple[Column, Column]:
    """The team by slug (``team_slug`` in the API's CSV), then its name (export only)."""
    return (
        C("team", required, help, example, api="team_slug"),
        C("team_name", False, "The team's name (export only).", "", True, api="team_name"),
    )


def _named(name: str, required: bool, help: str, example: str) -> Column:
    """A strategy, theme or period by name (``<name>_name`` in the API's CSV)."""
    return C(name, required, help, example, api=f"{name}_name")


def _key(example: str) -> Column:
    """The stable key of an objective, initiative or KPI."""
    return C("key", True, "Stable key: letters, digits, - and _.", example)


def _dates(start: str, due: str) -> tuple[Column, Column]:
    """Start and due dates (the due date after the start)."""
    return (
        C("start_date", True, "Start date, YYYY-MM-DD.", start),
        C("due_date", True, "Due date, YYYY-MM-DD, after the start.", due),
    )


def _priority(example: str) -> Column:
    return C("priority", False, "low, medium, high or critical (default medium).", example)


OWNER = _person("owner", "Owner's e-mail address.", "ada@example.com", "The owner's")
DESCRIPTION = C("description", False, "Free text.", "")


OBJECTIVES = Sheet(
    "objectives",
    "Objectives",
    "The objective tree. A row whose key exists updates that objective; a new key creates one.",
    (
        _key("grow-smb"),
        C("title", True, "What the objective achieves.", "Grow the small-business segment"),
        *_keyed(
            "parent",
            False,
            "Key of the objective it contributes to; empty at the top.",
            "",
            title="The parent's",
        ),
        _named("strategy", False, "Strategy name; empty: the parent's, else the active one.", ""),
        _named("theme", True, "Theme name within the strategy.", "Growth"),
        _named("period", True, "Period name.", "FY2026"),
        *_team(True, "Team slug (or exact name).", "sales"),
        *OWNER,
        C("status", False, "draft, active, achieved, missed or cancelled (default active).", ""),
        _priority("high"),
        C("weight", False, "Weight in its parent's rollup (default 1).", "1"),
        *_dates("2026-01-01", "2026-12-31"),
        DESCRIPTION,
        *_ids("id", "parent_id", "strategy_id", "theme_id", "period_id", "team_id", "owner_id"),
    ),
)
INITIATIVES = Sheet(
    "initiatives",
    "Initiatives",
    "The work that moves objectives. A row whose key exists updates it; a new key creates one.",
    (
        _key("crm-rollout"),
        C("title", True, "What the initiative delivers.", "Roll out the new CRM"),
        *_keyed(
            "objective",
            True,
            "Key of the objective it supports.",
            "grow-smb",
            title="The objective's",
        ),
        *_team(False, "Team slug (or name); empty: the objective's team.", "sales"),
        *OWNER,
        C("status", False, "proposed, active, on_hold, done or cancelled (default proposed).", ""),
        _priority(""),
        *_dates("2026-02-01", "2026-09-30"),
        C("progress", False, "Reported progress 0-100 (default 0).", ""),
        C("budget_planned", False, "Planned budget in the organisation's currency.", "120000"),
        C("effort_planned_fte", False, "Planned effort in full-time equivalents.", "2.5"),
        C("checkin_cadence_days", False, "Days between check-ins (1-366, default 14).", "14"),
        C("weight", False, "Weight in its objective's rollup (default 1).", ""),
        DESCRIPTION,
        *_ids("id", "objective_id", "team_id", "owner_id"),
    ),
)
KPIS = Sheet(
    "kpis",
    "KPIs",
    "Measures of objectives or initiatives (exactly one of the two). Keyed like the others.",
    (
        _key("smb-revenue"),
        C("name", True, "What is measured.", "SMB revenue"),
        *_keyed(
            "objective", False, "Key of the objective it measures (or give an initiative).", ""
        ),
        *_keyed("initiative", False, "Key of the initiative it measures.", "crm-rollout"),
        *_team(False, "Team slug (or name); empty: its objective's or initiative's.", ""),
        *OWNER,
        C("kind", False, "leading or lagging (default lagging).", "lagging"),
        C("direction", False, "increase, decrease or range (default increase).", "increase"),
        C("unit", False, "Unit, e.g. %, EUR, days.", "EUR"),
        C("baseline_value", True, "Value at the baseline date.", "100000"),
        C("baseline_date", True, "YYYY-MM-DD.", "2026-01-01"),
        C("target_value", True, "Value to reach by the target date.", "150000"),
        C("target_date", True, "YYYY-MM-DD, after the baseline date.", "2026-12-31"),
        C("range_low", False, "Low end of the range (range KPIs).", ""),
        C("range_high", False, "High end of the range (range KPIs).", ""),
        C("cadence_days", False, "Days between measurements (1-366, default 30).", "30"),
        C("weight", False, "Weight in its subject's rollup (default 1).", ""),
        C("data_source", False, "Where the numbers come from.", ""),
        C("is_active", False, "yes or no (default yes).", ""),
        DESCRIPTION,
        *_ids("id", "objective_id", "initiative_id", "team_id", "owner_id"),
    ),
)
MILESTONES = Sheet(
    "milestones",
    "Milestones",
    "Milestones of initiatives, identified by the initiative's key and the title.",
    (
        *_keyed("initiative", True, "Key of the initiative.", "crm-rollout"),
        C("title", True, "The milestone.", "Pilot team live"),
        C("due_date", True, "YYYY-MM-DD.", "2026-04-30"),
        C("completed_on", False, "YYYY-MM-DD when done; empty while open.", ""),
        C("weight", False, "Weight among the initiative's milestones (default 1).", ""),
        *_ids("id", "initiative_id"),
    ),
)
MEASUREMENTS = Sheet(
    "measurements",
    "Measurements",
    "Past values of KPIs: one per KPI and date (a second value for a date replaces the first).",
    (
        *_keyed("kpi", True, "Key of the KPI.", "smb-revenue"),
        C("as_of", True, "Date of the value, YYYY-MM-DD, not in the future.", "2026-01-31"),
        C("value", True, "The value (a number).", "104500"),
        C("note", False, "A short note.", ""),
        C("source", False, "How it was recorded (export only).", "", export_only=True),
        C("entered_by", False, "Who recorded it (export only).", "", True, api="entered_by_name"),
        *_ids("kpi_id"),
    ),
)
CHECKINS = Sheet(
    "checkins",
    "Check-ins",
    "Past status updates of initiatives, identified by initiative, author and time.",
    (
        *_keyed("initiative", True, "Key of the initiative.", "crm-rollout"),
        C("created_at", True, "When, YYYY-MM-DD or YYYY-MM-DDTHH:MM.", "2026-02-15"),
        _email("author", True, "Author's e-mail address.", "ada@example.com"),
        C("status", True, "green, amber or red.", "green"),
        C("confidence", True, "Confidence of delivering on time, 0-100.", "80"),
        C("progress", True, "Progress 0-100.", "10"),
        C("summary", True, "What happened.", "Vendor chosen, pilot team named."),
        C("blockers", False, "What is in the way.", ""),
        C(
            "blocker_tags",
            False,
            "Kinds of blocker, separated by commas: skills, resources, dependency, decision.",
            "",
        ),
        C("next_steps", False, "What comes next.", ""),
        _name_of("author", "The author's"),
        *_ids("id", "initiative_id", "author_id"),
    ),
)
SPEND = Sheet(
    "spend",
    "Spend",
    "Spend entries of an initiative (export only).",
    (
        *_keyed("initiative", True, "Key of the initiative.", ""),
        C("date", True, "YYYY-MM-DD.", ""),
        C("amount", True, "Amount (negative: a refund).", ""),
        C("category", False, "Category.", ""),
        C("note", False, "Note.", ""),
        *_person("entered_by", "Who entered it (e-mail).", "", "Who entered it:"),
        *_ids("id", "initiative_id", "entered_by_id"),
    ),
)


# Exports of the review cycle (``reviews``): read-only, never imported.
def _read_only(*columns: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(C(name, False, help, "", True) for name, help in columns)


PACK_CHANGES = Sheet(
    "changes",
    "Changes",
    "What changed since the previous pack of the review, biggest first (export only).",
    _read_only(
        ("rank", "Position on the agenda, biggest change first."),
        ("change", "The kind of change."),
        ("about", "What it is about: kpi, objective, initiative, milestone, alert, action..."),
        ("description", "The change, as the reader may see it."),
        ("weight", "How big the change is (the ranking's score)."),
        ("discussed", "Marked discussed in the meeting."),
        ("link", "Its page."),
        ("key", "The change's stable key."),
    ),
)
ACTION_ITEMS = Sheet(
    "action_items",
    "Action items",
    "Action items of a review's meetings (export only).",
    _read_only(
        ("title", "What has to be done."),
        ("status", "open, done or dropped."),
        ("overdue", "Open past its due date."),
        ("due_date", "Due date."),
        ("owner", "Owner's e-mail address (empty when you cannot see them)."),
        ("owner_name", "Owner's name."),
        ("meeting", "Date of the meeting that recorded it."),
        ("note", "Note."),
        ("closed_at", "When it was done or dropped."),
        ("initiative_id", "The initiative it was turned into."),
        ("id", "ExecSupport's id."),
    ),
)
ALERTS = Sheet(
    "alerts",
    "Alerts",
    "The alerts inbox as its filters show it (export only).",
    (
        C("kind", True, "What kind of alert.", ""),
        C("severity", True, "info, warning or critical.", ""),
        C("status", True, "open, acknowledged or resolved.", ""),
        C("title", True, "The alert, as the reader sees it.", ""),
        C("message", False, "Its explanation, as the reader sees it.", ""),
        C("subject_type", True, "What it is about: kpi, initiative, objective...", ""),
        *_team(False, "Team slug.", ""),
        *OWNER,
        C("opened_at", True, "When it opened.", ""),
        C("last_seen_at", True, "When its condition was last seen.", ""),
        C("acknowledged_at", False, "When it was acknowledged.", ""),
        *_person("acknowledged_by", "Who acknowledged it (e-mail).", "", "Who acknowledged it:"),
        C("resolved_at", False, "When it was resolved.", ""),
        *_person("resolved_by", "Who resolved it (e-mail).", "", "Who resolved it:"),
        *_ids("id", "subject_id", "team_id", "owner_id", "acknowledged_by_id", "resolved_by_id"),
    ),
)
HISTORY = Sheet(
    "history",
    "History",
    "The recorded versions of one object, one row per changed field (export only).",
    (
        C("at", True, "When the version was recorded.", ""),
        C("action", True, "created, changed or deleted.", ""),
        C("by", False, "Who made the change.", ""),
        C("reason", False, "Why, when given (e.g. a restore).", ""),
        C("field", False, "The field that changed.", ""),
        C("label", False, "The field as the pages name it.", ""),
        C("before", False, "Its value before.", ""),
        C("after", False, "Its value after.", ""),
        C("sealed", True, "yes: recorded while private to you; no values.", ""),
        C("history_id", True, "The version's id.", ""),
    ),
)
# The history of the objects of an export (a list's, the plan's): the History tab's columns
# after the object's. Not a plan sheet: the import skips it.
OBJECT_HISTORY = Sheet(
    "object_history",
    "History",
    "The recorded versions of the exported objects, one row per changed field (export only).",
    (
        C("kind", True, "objective, initiative, kpi or milestone.", ""),
        C("key", False, "The object's key (a milestone has none).", ""),
        C("object_id", True, "ExecSupport's id of the object.", ""),
        C("object", True, "Its title or name now.", ""),
        *HISTORY.columns,
    ),
)
SHEETS: tuple[Sheet, ...] = (OBJECTIVES, INITIATIVES, KPIS, MILESTONES, MEASUREMENTS, CHECKINS)
SHEETS_BY_NAME = {sheet.name: sheet for sheet in SHEETS}


def sheet_for_headers(headers: list[str]) -> Sheet | None:
    """The sheet a CSV file (one sheet, no name) holds, told by its header row: the sheet whose
    required columns are all there, the one matching most columns if several are."""
    given = {h for h in headers if h}
    fits = [sheet for sheet in SHEETS if sheet.required <= given]
    if not fits:
        return None
    return max(fits, key=lambda sheet: (len(given & set(sheet.headers)), -len(sheet.headers)))
