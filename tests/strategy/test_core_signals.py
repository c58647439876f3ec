"""The lower core apps announce, ``metrics`` listens (issue #20): ``strategy`` and
``initiatives`` import nothing of ``metrics``; stale scores, status changes and changes to
people's work reach the engine and the notifications through signals, and the work a person
owns is registered by the app that defines each kind (``strategy.ownership``)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from initiatives.signals import checkin_recorded, milestone_changed, spend_recorded
from metrics import receivers
from metrics.models import DirtySubject
from strategy import ownership
from strategy.models import HandOver
from strategy.signals import (
    status_changed,
    subjects_changed,
    subjects_stale,
    work_edited,
)
from strategy.subjects import SubjectType


@pytest.mark.parametrize(
    "signal",
    [
        subjects_changed,
        status_changed,
        work_edited,
        checkin_recorded,
        milestone_changed,
        spend_recorded,
    ],
)
def test_metrics_listens_to_every_signal_of_the_lower_core(signal):
    assert signal.has_listeners(), "metrics.receivers is not connected (MetricsConfig.ready)"


@pytest.mark.django_db
def test_a_stale_subject_announced_below_is_marked_dirty_by_metrics():
    subjects_stale(subjects=[(SubjectType.TEAM, 7), (SubjectType.TEAM, 7)])
    assert list(DirtySubject.objects.values_list("subject_type", "subject_id")) == [("team", 7)]


def test_a_stale_subject_with_nobody_listening_is_refused_not_lost():
    uid = "metrics_subjects_mark_dirty"
    assert subjects_changed.disconnect(dispatch_uid=uid)
    try:
        with pytest.raises(ImproperlyConfigured, match="metrics app"):
            subjects_stale(subjects=[(SubjectType.TEAM, 1)])
    finally:
        subjects_changed.connect(receivers.subjects_changed_mark, dispatch_uid=uid)
    assert subjects_changed.has_listeners()


@pytest.mark.django_db
def test_a_status_change_with_nobody_listening_is_refused_not_lost():
    from strategy.lifecycle import status_dependents_mark

    uid = "metrics_status_dependents_mark"
    assert status_changed.disconnect(dispatch_uid=uid)
    try:
        with pytest.raises(ImproperlyConfigured, match="metrics app"):
            status_dependents_mark(objective_ids=[1])
    finally:
        status_changed.connect(receivers.status_changed_mark, dispatch_uid=uid)
    assert status_changed.has_listeners()


def test_each_core_app_registers_the_work_it_defines_in_order():
    kinds = ownership.owned_kinds()
    assert [(kind.name, kind.model._meta.label) for kind in kinds] == [
        ("objectives", "strategy.Objective"),
        ("initiatives", "initiatives.Initiative"),
        ("kpis", "metrics.KPI"),
        ("alerts", "metrics.Alert"),
    ]
    assert [kind.subject_type for kind in kinds] == ["objective", "initiative", "kpi", None]
    # The hand-over records a count per kind: each kind has its field on HandOver.
    fields = {field.name for field in HandOver._meta.get_fields()}
    assert {kind.name for kind in kinds} <= fields


def test_a_kind_missing_from_the_registry_stops_the_hand_over(monkeypatch):
    kinds = {k: v for k, v in ownership._KINDS.items() if k != "alerts"}
    monkeypatch.setattr(ownership, "_KINDS", kinds)
    with pytest.raises(ImproperlyConfigured, match="alerts"):
        ownership.owned_kinds()
