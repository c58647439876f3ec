"""What the initiatives' services announce about people's work, for ``metrics`` to tell the
people concerned (``metrics.receivers``; ``initiatives`` sits below ``metrics`` and cannot
import its notifications). Each is sent synchronously, inside the service's transaction:

* ``checkin_recorded(checkin)``: a check-in on an initiative, by its author
  (``work_checkin_notify``);
* ``milestone_changed(milestone, by, created, deleted, previous)``: a milestone created,
  deleted or changed (``previous``: its values before; ``work_milestone_notify``);
* ``spend_recorded(entry, by, previous_amount)``: spend recorded (``previous_amount`` None) or
  a spend entry corrected (``work_spend_notify``).

Stale scores and edits of the initiative itself go through ``strategy.signals``
(``subjects_stale``, ``work_edited``).
"""

from __future__ import annotations

from django.dispatch import Signal

checkin_recorded = Signal()
milestone_changed = Signal()
spend_recorded = Signal()
