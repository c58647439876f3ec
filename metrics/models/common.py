"""What a score or an alert is about: the subject types shared by scores, alerts and the
recompute queue. The type is defined at the bottom of the core (``strategy.subjects``), so that
``strategy`` and ``initiatives`` can name a subject without importing ``metrics``.
"""

from __future__ import annotations

from strategy.subjects import SubjectType

__all__ = ["SubjectType"]
