"""CPU time per process group during a benchmark (Linux ``/proc``): on one machine the load
generator, the web workers and PostgreSQL share the cores, so each one's share is printed."""

from __future__ import annotations

import os
import timeit
from pathlib import Path


def cpu_seconds() -> dict[int, tuple[str, float]]:
    """CPU seconds used so far by each process, grouped as gunicorn, postgres, the benchmark's
    own client or other (Linux)."""
    seen: dict[int, tuple[str, float]] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        group = next((name for name in ("gunicorn", "postgres") if name in command), "other")
        if int(pid) == os.getpid():
            group = "client"
        seen[int(pid)] = (group, (int(fields[11]) + int(fields[12])) / tick)
    return seen


def cpu_spent(before: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds per group since ``before`` (a process that started since counts whole)."""
    spent: dict[str, float] = {}
    for pid, (group, seconds) in cpu_seconds().items():
        spent[group] = spent.get(group, 0.0) + seconds - before.get(pid, (group, 0.0))[1]
    return spent


def machine_pace() -> float:
    """Milliseconds a fixed piece of pure-Python work takes on this machine now (best of 5).

    On a shared machine the same code measured minutes apart ran up to a third slower, CPU time
    included; a benchmark prints this before and after each run, so runs can be compared."""
    return min(timeit.Timer("sum(range(1_000_000))").repeat(repeat=5, number=1)) * 1000


def pace_line(before: float, after: float) -> str:
    return (
        f"  machine pace: {before:.1f} ms before, {after:.1f} ms after "
        "(a fixed sum of a million ints; lower is faster)"
    )
