"""A good preview kept for its apply: the file's digest, the version of the data its checks read
(``plan_data_version``), the signed pickle of its report and validated rows, and their replay."""

from __future__ import annotations

import datetime as dt
import hashlib
import pickle
from typing import IO

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from initiatives.models import CheckIn, Initiative, Milestone
from metrics.models import KPI, Measurement
from metrics.services import (
    subjects_dirty_batch,
)
from metrics.work import work_batch
from sheets.plan_import.report import ImportReport, SheetReport, _changed_since_preview
from sheets.plan_import.run import _Rollback, _Run
from strategy.access import access_for
from strategy.models import (
    Objective,
    Period,
    Strategy,
    Team,
    Theme,
    VersionConflict,
)

# The sheets whose preview writes nothing and is kept for its apply: rows with a key (or a
# milestone's initiative and title), checked in full before any is written. Measurements and
# check-ins refer to rows by what the database holds, so a file with them is checked and written
# in one run, its preview rolled back.
KEYED_SHEETS = frozenset({"objectives", "initiatives", "kpis", "milestones"})
# How long a kept preview may be applied (as the page keeps the uploaded file).
PREVIEW_SECONDS = 3600
_PREVIEW_SALT = "sheets.plan_import.preview"


def _file_digest(stream: IO[bytes]) -> str:
    """The SHA-256 of the whole stream (read in blocks; the stream is rewound)."""
    stream.seek(0)
    digest = hashlib.sha256()
    for block in iter(lambda: stream.read(1 << 20), b""):
        digest.update(block)
    stream.seek(0)
    return digest.hexdigest()


def plan_data_version(*, recorded: bool = False) -> str:
    """A fingerprint of everything a plan file's checks read, in one query plus the people:
    for the plan's models (teams, memberships, periods, strategies, themes, objectives,
    initiatives, milestones, KPIs) their count, latest change and latest history entry, the
    people (name, e-mail, active, flags) and the office group's members. Any create, update
    or delete of those changes it (SHA-256 hex). ``recorded``: the measurements (count, latest
    change) and check-ins (count, latest id) too, for a file that has them (an unindexed
    maximum over the measurements: only then)."""
    from django.db import connection

    from strategy.models import Membership

    parts = []
    for model in (Team, Membership, Period, Strategy, Theme, Objective, Initiative, Milestone,
                  KPI):  # fmt: skip
        table, history = model._meta.db_table, model.history.model._meta.db_table
        parts += [
            f"SELECT COUNT(*) FROM {table}",  # noqa: S608 (names from model metadata)
            f"SELECT MAX(updated_at) FROM {table}",  # noqa: S608
            f"SELECT MAX(history_id) FROM {history}",  # noqa: S608
        ]
    groups = User.groups.through._meta.db_table
    parts += [f"SELECT COUNT(*) FROM {groups}", f"SELECT MAX(id) FROM {groups}"]  # noqa: S608
    if recorded:
        measurements, checkins = Measurement._meta.db_table, CheckIn._meta.db_table
        parts += [
            f"SELECT COUNT(*) FROM {measurements}",  # noqa: S608
            f"SELECT MAX(updated_at) FROM {measurements}",  # noqa: S608
            f"SELECT COUNT(*) FROM {checkins}",  # noqa: S608
            f"SELECT MAX(id) FROM {checkins}",  # noqa: S608
        ]
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"({part})" for part in parts))
        digest.update(repr(cursor.fetchone()).encode())
    people = User.objects.order_by("id").values_list(
        "id", "username", "email", "is_active", "is_superuser"
    )
    digest.update(repr(list(people)).encode())
    return digest.hexdigest()


def _preview_keep(*, user, digest: str, today, version: str, report, steps) -> None:
    """Keep a good preview for its apply (signed pickle; this person's older ones and every
    expired one are dropped)."""
    from sheets.models import PlanPreview

    plan = pickle.dumps((report, steps), protocol=pickle.HIGHEST_PROTOCOL)
    signature = salted_hmac(_PREVIEW_SALT, plan, algorithm="sha256").hexdigest()
    expired = timezone.now() - dt.timedelta(seconds=PREVIEW_SECONDS)
    PlanPreview.objects.filter(models.Q(user=user) | models.Q(created_at__lt=expired)).delete()
    PlanPreview.objects.create(
        user=user, file_sha256=digest, data_version=version, today=today, plan=plan,
        signature=signature,
    )  # fmt: skip


# What ``_preview_take`` answers for a kept preview whose data changed since.
_CHANGED = ("changed", None)


def _preview_take(*, user, digest: str, today) -> tuple | None:
    """The kept preview of this file by this person, consumed: ``(report, steps)`` (``steps``
    None: a preview that kept no rows), ``_CHANGED`` when what it checked changed since; None
    when there is none (or none of ours that loads)."""
    from sheets.models import PlanPreview

    expired = timezone.now() - dt.timedelta(seconds=PREVIEW_SECONDS)
    kept = (
        PlanPreview.objects.filter(
            user=user, file_sha256=digest, today=today, created_at__gte=expired
        )
        .order_by("-id")
        .first()
    )
    if kept is None:
        return None
    PlanPreview.objects.filter(pk=kept.pk).delete()
    plan = bytes(kept.plan)
    signature = salted_hmac(_PREVIEW_SALT, plan, algorithm="sha256").hexdigest()
    if not constant_time_compare(signature, kept.signature):
        return None
    try:
        loaded = pickle.loads(plan)  # noqa: S301 (signed above: our own pickle only)
    except Exception:  # kept by an older release whose classes changed: check afresh
        return None
    # A preview that kept no rows had measurements or check-ins: their version too.
    version = plan_data_version(recorded=loaded[1] is None)
    if not constant_time_compare(kept.data_version, version):
        return _CHANGED
    return loaded


def _preview_replay(kept: tuple, *, user, today, filename: str) -> ImportReport:
    """Write a kept preview's rows, all or nothing, and return its report as applied. When a
    write fails (a row changed or created by someone else between the version check and the
    write, a rule only the database knew) nothing is written and the apply is refused as
    changed since the preview: checking afresh could turn a previewed creation into an
    update of someone else's row."""
    report, steps = kept
    run = _Run(
        access=access_for(user), user=user, report=ImportReport(filename=filename),
        today=today, filename=filename, apply=True,
    )  # fmt: skip
    try:
        with transaction.atomic(), work_batch(), subjects_dirty_batch():
            for sheet, good in steps:
                run._write(sheet, good, SheetReport(sheet=sheet))
            if run.report.errors:
                raise _Rollback
    except (IntegrityError, VersionConflict, ValidationError, _Rollback):
        return _changed_since_preview(filename)
    report.filename = filename
    report.applied = True
    return report


User = get_user_model()
