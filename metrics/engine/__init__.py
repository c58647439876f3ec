"""The gap engine's persistence: load inputs in bulk, score with ``metrics.scoring``, write
snapshots and alerts. Tasks (``metrics.tasks``), the ``recompute_gaps`` command and services
call these functions; nothing else computes a score.

Query budget: a chunk costs a fixed number of queries whatever its size (three reads for KPIs,
four for initiatives, one for latest scores, two writes for snapshots, one to three for
alerts), so a full recompute's query count grows with the number of chunks, not of subjects.
"""

from __future__ import annotations

from metrics.engine.run import (
    HistoryExists,
    RunStats,
    full_recompute,
    full_recompute_plan,
    history_recompute,
    history_weeks_check,
    initiatives_chunk_recompute,
    kpis_chunk_recompute,
    rollups_all_recompute,
    subjects_recompute,
)
from metrics.engine.sweeper import sweep

__all__ = [
    "HistoryExists",
    "RunStats",
    "full_recompute",
    "full_recompute_plan",
    "history_recompute",
    "history_weeks_check",
    "initiatives_chunk_recompute",
    "kpis_chunk_recompute",
    "rollups_all_recompute",
    "subjects_recompute",
    "sweep",
]
