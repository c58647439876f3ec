"""The signals of the core's lower apps, for the layers above to act on.

``strategy`` and ``initiatives`` sit below ``metrics`` (README, "Layers: who may import whom"):
their services cannot import the gap engine or the notifications. They announce what changed
instead, synchronously and inside the caller's transaction, and ``metrics`` listens
(``metrics.receivers``, connected in ``MetricsConfig.ready``):

* ``subjects_changed(subjects)``: the scores of these subjects are stale, a list of
  ``(SubjectType, id)`` pairs; ``metrics`` marks them dirty (``subjects_mark_dirty``: a row per
  subject in the caller's transaction, one recompute task after commit). Send it with
  ``subjects_stale``.
* ``status_changed(objective_ids, initiative_ids)``: these objectives and initiatives changed
  status (``strategy.lifecycle.status_dependents_mark``); ``metrics`` marks dirty what depends
  on them (their KPIs, the objectives' initiatives).
* ``work_edited(instance, by, created, changed, previous)``: a person created or edited an
  objective or initiative (``changed``: the field names, ``None`` when created; ``previous``:
  the values before); ``metrics`` tells its owner and contributors (``work_edit_notify``).

The initiatives' own work signals (check-ins, milestones, spend) are in
``initiatives.signals``. The token signals ``strategy.services`` sends (the security log
listens to them):

* ``token_created(token, created_by)``: after ``token_create``, with the token's expiry set;
* ``tokens_revoked(user, token_ids, by, reason)``: after tokens were revoked; ``by`` is
  ``None`` when it was automatic (``reason``: ``"credentials_changed"``), else ``"revoked"``.

The receivers of this app are in ``strategy.receivers``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.dispatch import Signal

from strategy.subjects import SubjectType

subjects_changed = Signal()
status_changed = Signal()
work_edited = Signal()
token_created = Signal()
tokens_revoked = Signal()


def announce(signal: Signal, **kwargs) -> None:
    """Send ``signal`` (sender ``SubjectType``) with ``kwargs``, refusing when nothing listens.

    Raises ``ImproperlyConfigured`` when the signal has no receiver: a stale mark that nobody
    records would be lost silently (``metrics`` connects its receivers when the app registry is
    ready)."""
    if not signal.has_listeners(SubjectType):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("Nothing records stale scores: is the metrics app installed?")
    signal.send(sender=SubjectType, **kwargs)


def subjects_stale(*, subjects: Iterable[tuple[str, int]]) -> None:
    """Announce that the scores of ``subjects`` (``(SubjectType, id)`` pairs) are stale.

    Raises ``ImproperlyConfigured`` when nothing listens (``announce``)."""
    announce(subjects_changed, subjects=list(subjects))
