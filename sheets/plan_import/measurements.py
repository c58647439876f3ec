"""The measurements sheet of a plan file: values of KPIs by date, through the bulk ingestion of
``metrics.services`` (its checks, its upsert, its flag of implausible values)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from metrics.models import Measurement
from metrics.services import (
    BatchRejected,
    measurement_rows_check,
    measurements_ingest,
)
from sheets.columns import Sheet
from sheets.plan_import.base import _RunBase
from sheets.plan_import.cells import _BadCell, _float, _measurement_date_text, _text
from sheets.plan_import.report import LISTED_ROWS_MAX, SheetReport
from sheets.reading import (
    CellError,
    SheetRows,
)

# Measurements handed to the bulk ingestion at once (as the API's largest request).
MEASUREMENT_CHUNK = 10_000


def _duplicate_message(rows: list[dict], index: int, numbers: list[int]) -> str:
    """A measurement row giving a KPI a second value for a date: both rows by their number in
    the file (``numbers[i]`` is the file row of ``rows[i]``)."""
    row = rows[index]
    first = next(
        (
            i
            for i in range(index)
            if (rows[i]["kpi"], rows[i]["as_of"]) == (row["kpi"], row["as_of"])
        ),
        None,
    )
    if first is None:  # the same date written two ways: the ingest's own words
        return f"KPI '{row['kpi']}' already has a value for {row['as_of']} in this file."
    return (
        f"Rows {numbers[first]} and {numbers[index]} both give KPI '{row['kpi']}' a value for "
        f"{row['as_of']}: keep one."
    )


class _MeasurementsSheet(_RunBase):
    """The measurements sheet, handed to the bulk ingestion in chunks (``MEASUREMENT_CHUNK``)."""

    def _measurements(self, sheet: Sheet, sheet_rows: SheetRows, out: SheetReport) -> None:
        """Through the bulk ingestion: its row checks, upsert, corrections and data-quality
        flag. Rows stream from the file into the ingest's plain rows."""
        batch: list[dict] = []
        numbers: list[int] = []
        # A sheet has a few distinct dates in many rows: each date cell's ISO text, once.
        iso_dates: dict[dt.datetime, str] = {}
        for number, row in self._readable(sheet, sheet_rows):
            bad: dict[str, tuple[str, str]] = {}  # column: (code, message)
            for column, cell in row.items():
                if cell.__class__ is CellError:
                    row[column] = None
                    if column in sheet.import_headers:
                        bad[column] = (cell.report_code, cell.message(column))
            value = row.get("value")
            # A TRUE or FALSE cell is an int to Python (a bool is neither class below): it gets
            # the number columns' message.
            if value is not None and value.__class__ is not float and value.__class__ is not int:
                try:
                    value = _float("value", value)
                except _BadCell as bad_value:
                    bad["value"] = (bad_value.code, bad_value.message)
            as_of = row.get("as_of")
            if as_of.__class__ is dt.datetime:
                iso = iso_dates.get(as_of)
                if iso is None:
                    iso = iso_dates[as_of] = _measurement_date_text(as_of)
                as_of = iso
            elif as_of is not None:
                as_of = _measurement_date_text(as_of)
            kpi = row.get("kpi")
            # The reader strips texts; a number in the kpi column is a key written as one.
            if kpi is not None and kpi.__class__ is not str:
                kpi = _text("kpi", kpi)
            item = {"kpi": kpi, "as_of": as_of, "value": value}
            if row.get("note") is not None:
                item["note"] = _text("note", row["note"])
            if bad:
                self._measurement_row_bad(sheet, number, item, bad)
                continue
            batch.append(item)
            numbers.append(number)
        if not batch:
            return
        done: list[tuple[int, int, str]] = []  # (row number, place in the batch, action)
        # In chunks of about MEASUREMENT_CHUNK rows, as the API's requests are (one batch of
        # 100,000 rows is slower than ten of 10,000); each KPI's rows stay in one chunk, so the
        # ingest still finds a KPI and date given twice.
        by_key: dict[Any, list[int]] = {}
        for index, item in enumerate(batch):
            by_key.setdefault(item["kpi"], []).append(index)
        chunks: list[list[int]] = [[]]
        for indexes in by_key.values():
            if chunks[-1] and len(chunks[-1]) + len(indexes) > MEASUREMENT_CHUNK:
                chunks.append([])
            chunks[-1].extend(indexes)
        for chunk in chunks:
            rows = [batch[i] for i in chunk]
            try:
                result = measurements_ingest(
                    rows=rows,
                    access=self.access,
                    entered_by=self.user,
                    source=Measurement.Source.IMPORT,
                    max_rows=len(rows),
                    today=self.today,
                )
            except BatchRejected as rejected:
                for problem in rejected.errors:
                    at = problem.get("index")
                    number = numbers[chunk[at]] if at is not None else 1
                    message = problem["message"]
                    if problem["code"] == "duplicate" and at is not None:
                        # The ingest names the first row by its place in the batch: name both
                        # by their row in the file.
                        message = _duplicate_message(rows, at, [numbers[i] for i in chunk])
                    self.error(
                        sheet.name, number, problem.get("field", ""), problem["code"], message
                    )
                continue
            out.created += result.created
            out.updated += result.updated
            out.unchanged += result.unchanged
            done += [(numbers[chunk[i]], chunk[i], action) for i, action in result.actions]
            for flag in result.implausible:
                self.report.implausible.append(
                    {"sheet": sheet.name, "row": numbers[chunk[flag["index"]]],
                     **{k: v for k, v in flag.items() if k != "index"}}
                )  # fmt: skip
        self.report.implausible.sort(key=lambda flag: (flag["sheet"], flag["row"]))
        # The first rows of the file with their values, as the other sheets list theirs.
        for number, place, action in sorted(done)[:LISTED_ROWS_MAX]:
            item = batch[place]
            out.rows.append(
                {"row": number, "key": f"{item['kpi']} / {item['as_of']}", "action": action,
                 "value": item["value"]}
            )  # fmt: skip

    def _measurement_row_bad(
        self, sheet: Sheet, number: int, item: dict, bad: dict[str, tuple[str, str]]
    ) -> None:
        """Report a measurement row's bad cells with the ingest's own checks of its other cells
        (``measurement_rows_check``; placeholders stand in for the bad ones). The row is not
        handed to the ingest (its KPI is not looked up)."""
        for column, (code, message) in bad.items():
            self.error(sheet.name, number, column, code, message)
        stand_in = {"kpi": "x", "as_of": self.today.isoformat(), "value": 0.0, "note": ""}
        probe = {**item, **{column: stand_in[column] for column in bad if column in stand_in}}
        _, problems = measurement_rows_check([probe], today=self.today)
        for problem in problems:
            if problem["field"] not in bad:
                self.error(
                    sheet.name, number, problem["field"], problem["code"], problem["message"]
                )
