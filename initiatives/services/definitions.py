"""Initiative definitions: saving an initiative (status trail, pause bookkeeping, contributors,
its history), and deleting one.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from initiatives.models import (
    Initiative,
)
from initiatives.services.common import initiative_mark_stale
from strategy.access import assignee_changed, assignees_added_check, assignees_check
from strategy.keys import key_propose
from strategy.lifecycle import (
    initiative_pause_track,
    status_dependents_mark,
    status_read,
    status_transition_record,
)
from strategy.models import history_m2m_record
from strategy.signals import subjects_stale, work_edited
from strategy.subjects import SubjectType


def initiative_status_follow(
    *, initiative: Initiative, from_status: str | None, today: dt.date
) -> None:
    """On the instance, what follows its status (``from_status``: before; ``None``: new): the
    pause bookkeeping, and the completion date (today when it becomes done; none while not
    done). Used by ``initiative_save`` and by the import's bulk creation."""
    if from_status != initiative.status:
        initiative_pause_track(initiative=initiative, from_status=from_status, today=today)
    if initiative.status == Initiative.Status.DONE and initiative.completed_on is None:
        initiative.completed_on = today
    if initiative.status != Initiative.Status.DONE:
        initiative.completed_on = None


def _history_record(initiative: Initiative) -> None:
    """A version of the initiative as it is now, with its contributors."""
    from simple_history.utils import get_history_manager_for_model

    manager = get_history_manager_for_model(Initiative)
    record = manager.model(
        history_date=timezone.now(),
        history_type="~",
        history_user=getattr(initiative, "_history_user", None),
        history_change_reason=getattr(initiative, "_change_reason", None),
        **{f.attname: getattr(initiative, f.attname) for f in manager.model.tracked_fields},
    )
    record.save()
    history_m2m_record(model=Initiative, records=[record])


def _history_m2m_refresh(initiative: Initiative) -> None:
    """The latest version of the initiative lists its contributors and dependencies as they
    are now."""
    record = Initiative.history.filter(id=initiative.pk).order_by("-history_id").first()
    if record is not None:
        for m2m in record._history_m2m_fields:
            getattr(type(record), m2m.name).model.objects.filter(history=record).delete()
        history_m2m_record(model=Initiative, records=[record])


def _members(initiative_id: int, history_id: int | None = None) -> dict[str, set[tuple]]:
    """The initiative's many-to-many members (contributors, dependencies with their note) as
    they are now, or as the version ``history_id`` recorded them: ``{field: {through row's
    values other than its id}}``."""
    found: dict[str, set[tuple]] = {}
    for m2m in Initiative.history.model._history_m2m_fields:
        through = m2m.remote_field.through
        names = [f.attname for f in through._meta.concrete_fields if not f.primary_key]
        if history_id is None:
            rows = through.objects.filter(**{f"{m2m.m2m_field_name()}_id": initiative_id})
        else:
            rows = getattr(Initiative.history.model, m2m.name).model.objects.filter(
                history_id=history_id
            )
        found[m2m.name] = set(rows.values_list(*names))
    return found


def initiative_history_latest_id(*, initiative: Initiative) -> int:
    """The id of the initiative's latest version (0: none yet), to pass to
    ``initiative_members_record`` as ``since_history_id``."""
    latest = Initiative.history.filter(id=initiative.pk).order_by("-history_id").first()
    return latest.history_id if latest is not None else 0


@transaction.atomic
def initiative_members_record(
    *, initiative: Initiative, since_history_id: int, by=None, reason: str | None = None
) -> bool:
    """Make the initiative's history show its contributors and dependencies as they are now,
    after a path that wrote them without the services (the admin's dependency inline, a
    deleted initiative's dependents): a version written since ``since_history_id`` (by the same
    save) is completed with them; else, when they differ from the latest version's, one new
    version records the change (``by``, ``reason``). ``True`` when a version was written or
    completed."""
    latest = Initiative.history.filter(id=initiative.pk).order_by("-history_id").first()
    if latest is not None and latest.history_id > since_history_id:
        _history_m2m_refresh(initiative)
        return True
    if latest is not None and _members(initiative.pk, latest.history_id) == _members(initiative.pk):
        return False
    if by is not None:
        initiative._history_user = by
    if reason is not None:
        initiative._change_reason = reason
    _history_record(initiative)
    return True


@transaction.atomic
def initiative_contributors_set(
    *, initiative: Initiative, contributors, by=None, record: bool = True
) -> bool:
    """Make ``contributors`` (people or their ids) the initiative's contributors; ``True`` when
    that changed anything. ``record``: the change is one version of the initiative's history
    with the new contributors (django-simple-history's own versions, one per add and one per
    remove, are not written); ``initiative_save`` passes ``False`` and records them with the
    rest of its change."""
    wanted = {getattr(person, "pk", person) for person in contributors}
    current = set(initiative.contributors.values_list("pk", flat=True))
    if wanted == current:
        return False
    initiative.skip_history_when_saving = True
    try:
        initiative.contributors.set(wanted)
    finally:
        del initiative.skip_history_when_saving
    if record:
        if by is not None:
            initiative._history_user = by
        _history_record(initiative)
    return True


def _people_check(*, initiative: Initiative, contributors) -> None:
    """A new owner and the contributors added must be able to see the initiative
    (``strategy.access.assignees_check``); when its team changes, all of them."""
    team_changed = assignee_changed(initiative, "team")
    if initiative.owner_id is not None and assignee_changed(initiative, "owner", "team"):
        assignees_check(field="owner", people=[initiative.owner], subject=initiative, role="own it")
    if contributors is None and not team_changed:
        return
    current = (
        set(initiative.contributors.values_list("pk", flat=True))
        if initiative.pk is not None
        else set()
    )
    wanted = (
        {getattr(person, "pk", person) for person in contributors}
        if contributors is not None
        else current
    )
    assignees_added_check(
        field="contributors", current=current, wanted=wanted, all_again=team_changed,
        subject=initiative, role="contribute to it",
    )  # fmt: skip


@transaction.atomic
def initiative_save(
    *, initiative: Initiative, contributors=None, version: int | None = None, by=None
) -> Initiative:
    """Create or update an initiative's definition (dates, budget, owner, status...).

    An update writes only the fields changed since the initiative was read. ``version``: the
    version the person read (a form's hidden field, the API's If-Match); if someone else saved
    it since, ``strategy.models.VersionConflict`` is raised and nothing is written. An empty
    ``key`` is proposed from the title (``strategy.keys.key_propose``).

    A changed status is recorded (``StatusTransition``: ``by``, now, from, to), the pause
    bookkeeping follows (``strategy.lifecycle.initiative_pause_track``) and the initiative's
    KPIs are recomputed (a closed initiative's KPIs stop alerting).
    """
    from_status = status_read(instance=initiative)
    if by is not None:
        initiative._history_user = by  # who, in the history, also outside a request
    initiative_status_follow(
        initiative=initiative, from_status=from_status, today=timezone.localdate()
    )
    if not initiative.key:
        initiative.key = key_propose(model=Initiative, title=initiative.title, pk=initiative.pk)
    initiative.full_clean()
    _people_check(initiative=initiative, contributors=contributors)
    creating = initiative._state.adding
    fields = initiative.changed_fields()
    changed = creating or fields != []
    previous = {**getattr(initiative, "_loaded_values", {}), "status": from_status}
    people_changed = False
    if contributors is not None and not creating:
        # First, so that the save's version records the new contributors with the rest.
        people_changed = initiative_contributors_set(
            initiative=initiative, contributors=contributors, record=False
        )
    initiative.save(expected_version=version)
    if contributors is not None and creating:
        initiative_contributors_set(initiative=initiative, contributors=contributors, record=False)
        _history_m2m_refresh(initiative)  # the creation's version lists them
    elif people_changed and not changed:
        _history_record(initiative)  # only the contributors changed: their one version
    initiative_mark_stale(initiative.pk)
    if from_status is not None and from_status != initiative.status:
        status_transition_record(instance=initiative, from_status=from_status, by=by)
        status_dependents_mark(initiative_ids=[initiative.pk])
    if fields is not None and people_changed:
        fields = [*fields, "contributors"]
    work_edited.send(
        sender=Initiative,
        instance=initiative,
        by=by,
        created=creating,
        changed=fields,
        previous=previous,
    )
    return initiative


@transaction.atomic
def initiative_delete(*, initiative: Initiative) -> None:
    """Delete an initiative; its check-ins, spend and KPIs protect it (``ProtectedError``).
    The initiatives that depended on it lose that dependency: each records it in its history
    (a reason that names nothing, the deleted initiative may be private)."""
    objective_id = initiative.objective_id
    dependents = list(Initiative.objects.filter(dependency_links__depends_on=initiative))
    initiative.delete()
    for dependent in dependents:
        initiative_members_record(
            initiative=dependent,
            since_history_id=initiative_history_latest_id(initiative=dependent),
            reason="A dependency was deleted with its initiative.",
        )
    subjects_stale(subjects=[(SubjectType.OBJECTIVE, objective_id)])
