"""One import's run: every sheet's checks together (``_Run``), and the rollback of a preview."""

from __future__ import annotations

from sheets.plan_import.initiatives import _InitiativesSheets
from sheets.plan_import.kpis import _KpisSheet
from sheets.plan_import.measurements import _MeasurementsSheet
from sheets.plan_import.objectives import _ObjectivesSheet


class _Rollback(Exception):
    """Ends the transaction of a preview or of a file with bad rows."""


class _Run(_ObjectivesSheet, _InitiativesSheets, _KpisSheet, _MeasurementsSheet):
    """One import: the lookups (read once), then each sheet in turn (``sheet()``)."""
