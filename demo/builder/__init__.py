"""The demo organisation built by ``manage.py seed_demo``.

``org``, ``work`` and ``kpis`` hold the catalog (a fictional company, its plan, its work and
its measures), ``series`` generates measurement series, ``build`` writes everything with bulk
inserts and ``reset`` checks for and deletes existing organisation data.
"""

from __future__ import annotations

from demo.builder.build import (
    DemoSummary,
    demo_counts,
    demo_logins,
    demo_random_passwords,
    demo_seed,
)
from demo.builder.org import DEMO_PASSWORD
from demo.builder.reset import (
    demo_existing_data,
    demo_foreign_logins,
    demo_reset,
    describe_counts,
)

__all__ = [
    "DEMO_PASSWORD",
    "DemoSummary",
    "demo_counts",
    "demo_existing_data",
    "demo_foreign_logins",
    "demo_logins",
    "demo_random_passwords",
    "demo_reset",
    "demo_seed",
    "describe_counts",
]
