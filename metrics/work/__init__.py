"""Notifications of "action on my work": telling people when someone else acts on what they own.

The rule, in one place
----------------------
**Whose work** (``work_people``): an objective's, a KPI's and an action item's owner; an
initiative's owner **and its contributors** (they deliver it: a check-in, a status change or a
comment by someone else concerns them as much as its owner). A change of owner also tells the
previous owner (the work was theirs until now).

**What is told** (each hooked in the one service that writes it, so pages, API, admin and
imports behave alike):

* a check-in on an initiative (``initiatives.services.checkin_append``);
* a creation with someone else as owner, a status change or an edit of an objective
  (``strategy.services.objective_save``), an initiative (``initiatives.services.initiative_save``)
  or a KPI's definition (``metrics.services.kpi_save``), with a target revision said as such;
* a measurement of a KPI: one value (``metrics.services.measurement_record``) or a batch
  (``metrics.services.measurements_ingest``: one message per owner per batch, never one per row);
* a comment on an objective, initiative or KPI (``activity.comments.comment_post``), except
  to the people it mentions, who are told of the mention instead (once, not twice);
* a comment on an alert: to the person it is routed to (``Alert.owner``: the subject's owner,
  else the owner above it, a leader or the strategy office), who acts on it;
* an action item given to someone by someone else, at its creation or when its owner changes
  (``reviews.services.action_item_create`` / ``action_item_save``);
* an action item closed (done, dropped, turned into an initiative) or reopened
  (``reviews.services.action_item_set_status`` / ``action_item_to_initiative``): its owner,
  and the person who gave it (``created_by``), who asked for it and waits on it;
* a milestone of an initiative created, completed or reopened, moved (due date), otherwise
  edited or deleted (``initiatives.services.milestone_save`` / ``milestone_set_completed`` /
  ``milestone_delete``; a plan import's milestones too), and spend recorded or corrected
  on it (``spend_record`` / ``spend_save``): the initiative's owner and contributors.

**Never** the person who acted (the actor); nobody when no person acted (``by`` None: a system
step); nobody who may not see the object (``metrics.preferences.notification_send`` asks
``strategy.access``). Each person is told per their ``work`` preference: at once (one e-mail
through the outbox), in the daily digest (a held outbox row), or not at all.

**Texts** are derived parts (``strategy.derived``): the object is a reference, rendered for
each recipient (and rendered again by the daily digest for the access they have then).

**Bulk**: inside ``work_batch()`` the events are collected and sent when the block ends, one
message per person for the whole block (a plan import: one message per owner per import; an
API batch of measurements is one batch by itself). Everything is written in the caller's
transaction (the outbox pattern): a rolled-back change tells nobody, a lost Celery message
loses nothing.

The code lives in two modules, one importing the other: ``delivery`` (whose work, the event,
the batch and the sending) and ``events`` (each event, built once). Callers import from
``metrics.work``; the names below are its public face.
"""

from metrics.work.delivery import (
    WorkEvent,
    subject_key,
    work_batch,
    work_events_send,
    work_notify,
    work_people,
)
from metrics.work.events import (
    QUIET_FIELDS,
    work_action_item_notify,
    work_action_item_status_notify,
    work_checkin_notify,
    work_comment_notify,
    work_edit_notify,
    work_measurement_notify,
    work_measurements_notify,
    work_milestone_notify,
    work_spend_notify,
)

__all__ = [
    "QUIET_FIELDS",
    "WorkEvent",
    "subject_key",
    "work_action_item_notify",
    "work_action_item_status_notify",
    "work_batch",
    "work_checkin_notify",
    "work_comment_notify",
    "work_edit_notify",
    "work_events_send",
    "work_measurement_notify",
    "work_measurements_notify",
    "work_milestone_notify",
    "work_notify",
    "work_people",
    "work_spend_notify",
]
