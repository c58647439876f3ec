"""The plan: teams and their people, planning periods, strategies, themes and the objective tree.

Both trees (teams and objectives) are adjacency lists over a ``parent`` key; whole subtrees and
ancestor chains are read in one query with a recursive CTE (see ``strategy/selectors.py``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models, router, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from knox.models import AbstractAuthToken
from simple_history.models import HistoricalRecords
from typing_extensions import override

# Defined in the ground (execsupport) for the pieces every app shares; re-exported here under
# the names every app imports.
from execsupport.auth import STRATEGY_OFFICE_GROUP as STRATEGY_OFFICE_GROUP
from execsupport.concurrency import VersionConflict as VersionConflict
from execsupport.validation import (
    DESCRIPTION_MAX,
    FieldConstraintsMixin,
    inconsistent,
    text_validators,
    validate_date,
)
from strategy.keys import KeyUniqueIgnoringCase
from strategy.trees import tree_ancestor_ids

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models.base import ModelBase

    from metrics.models import GapScore


HEX_COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour as #rrggbb.")
POSITIVE_WEIGHT = MinValueValidator(Decimal("0.01"))
# Bookkeeping that every save changes: not part of a definition's history (activity/history.py).
HISTORY_BOOKKEEPING = ["created_at", "updated_at", "version"]


def history_records(
    *, excluded: tuple[str, ...] = (), m2m_fields: tuple[str, ...] = ()
) -> HistoricalRecords:
    """The history of a definition (django-simple-history): one row per create, update and
    delete with who, when and every tracked field's value; read through ``activity.history``.
    Its rows are kept when the object is deleted. ``m2m_fields``: many-to-many fields whose
    members each version records too; they are set through the model's service, which records
    one version per change (``initiatives.services.initiative_contributors_set``)."""
    return HistoricalRecords(
        excluded_fields=[*HISTORY_BOOKKEEPING, *excluded], m2m_fields=list(m2m_fields)
    )


def history_m2m_record(*, model: type[models.Model], records: list) -> None:
    """Write the current members of ``model``'s tracked many-to-many fields into these versions
    of its history (``records``: historical rows just created by a path that records fields
    only, e.g. ``bulk_history_create``, or by hand). Every field of the through row is copied
    (its id, and the extra fields of a custom through model, such as a dependency's note). One
    read and one insert per field."""
    history_model = model.history.model  # type: ignore[attr-defined]  # simple_history adds `history` to tracked models
    fields = getattr(history_model, "_history_m2m_fields", ())
    if not fields or not records:
        return
    object_ids = {record.id for record in records}
    for field in fields:
        table = getattr(history_model, field.name).model
        through = field.remote_field.through
        source = f"{field.m2m_field_name()}_id"
        names = [f.attname for f in through._meta.concrete_fields]
        members: dict[int, list[dict]] = {}
        for row in through.objects.filter(**{f"{source}__in": object_ids}).values(*names):
            members.setdefault(row[source], []).append(row)
        table.objects.bulk_create(
            table(history=record, **row) for record in records for row in members.get(record.id, ())
        )


class Priority(models.IntegerChoices):
    """The priority of an objective (and of the work under it): low 1 to critical 4."""

    LOW = 1, "Low"
    MEDIUM = 2, "Medium"
    HIGH = 3, "High"
    CRITICAL = 4, "Critical"


def _kept(value):
    # A JSON value read from the database is a fresh dict or list that the caller may change
    # in place: remember a copy, or the change would not be seen.
    return copy.deepcopy(value) if isinstance(value, dict | list) else value


class TimestampedModel(FieldConstraintsMixin, models.Model):
    """Created and updated times, and a save that writes only what changed.

    An instance read from the database remembers the values it was read with; ``save()``
    then writes only the fields whose value differs from them (and ``updated_at``), never the
    whole row as read. So two requests that change different fields of one row at the same
    time both keep their change (issue #12: writing the row as read lost 17 of 40 changes).
    An unchanged instance writes nothing. A new instance, an instance not read from the
    database, and a save with explicit ``update_fields`` save as Django always does.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    # Fields whose value ``save()`` sets itself rather than takes from the caller.
    UNTRACKED_FIELDS = frozenset({"created_at", "updated_at", "version"})
    # The values read from the database, by attname (set by ``from_db`` and ``_remember``).
    _loaded_values: dict[str, Any]

    class Meta:
        abstract = True

    @override
    def save(
        self,
        *,
        force_insert: bool | tuple[ModelBase, ...] = False,
        force_update: bool = False,
        using: str | None = None,
        update_fields: Iterable[str] | None = None,
        **options: Any,
    ) -> None:
        if update_fields is None and not (self._state.adding or force_insert):
            changed = self.changed_fields()
            if changed is not None:
                if not changed:
                    return  # nothing to write
                update_fields = [*changed, "updated_at"]
        self._save_row(
            force_insert=force_insert,
            force_update=force_update,
            using=using,
            update_fields=update_fields,
            **options,
        )
        self._remember(update_fields)

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs: Any):
        """An instance as Django reads it, remembering the values it was read with (JSON values
        copied) so that ``save()`` writes only the fields changed since."""
        # ``**kwargs``: django-stubs already describes Django 6's ``fetch_mode`` keyword.
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._loaded_values = {
            name: _kept(value)
            for name, value in zip(field_names, values, strict=True)
            if value is not models.DEFERRED
        }
        return instance

    @override
    def refresh_from_db(self, using=None, fields=None, from_queryset=None) -> None:
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        self._remember(fields)

    def changed_fields(self) -> list[str] | None:
        """Names of the fields whose value differs from the one read from the database;
        ``None`` when the instance was not read from it (nothing to compare with)."""
        loaded = getattr(self, "_loaded_values", None)
        if loaded is None or self._state.adding:
            return None
        changed = []
        for field in self._meta.concrete_fields:
            if field.primary_key or field.name in self.UNTRACKED_FIELDS:
                continue
            if field.attname not in self.__dict__:
                continue  # deferred and never set
            if field.attname not in loaded or loaded[field.attname] != self.__dict__[field.attname]:
                changed.append(field.name)
        return changed

    def _save_row(self, **kwargs) -> None:
        super().save(**kwargs)

    def _remember(self, fields) -> None:
        """After a save or a refresh: what is now in the database for ``fields`` (all the
        loaded fields when ``None``) is what later changes are compared with."""
        loaded: dict[str, Any] | None = getattr(self, "_loaded_values", None)
        if loaded is None:
            loaded = self._loaded_values = {}
        names = set(fields) if fields is not None else None
        for field in self._meta.concrete_fields:
            if names is not None and field.name not in names and field.attname not in names:
                continue
            if field.attname in self.__dict__:
                loaded[field.attname] = _kept(self.__dict__[field.attname])


class VersionedModel(TimestampedModel):
    """A row with a version number, raised by one at each save (optimistic concurrency).

    ``save(expected_version=n)`` (a form's hidden version, the API's ``If-Match``) writes only
    if the row is still at version ``n``, else raises ``VersionConflict`` and writes nothing.
    Without it the save writes the changed fields whatever the version (and raises it).

    How: in the save's transaction the row is locked (``SELECT version ... FOR UPDATE``; on
    SQLite every write transaction is already exclusive) and its version compared, then the
    changed fields and the new version are written by one ``UPDATE``. A concurrent save of
    the same row waits for the lock and then sees the new version.
    """

    version = models.PositiveIntegerField(
        default=1,
        db_default=1,
        editable=False,
        help_text="Raised by one at every save; a form or API client that read an older version "
        "is told that someone else changed it meanwhile.",
    )

    class Meta:
        abstract = True

    def _save_row(self, *, expected_version: int | None = None, **kwargs) -> None:
        if self._state.adding or kwargs.get("force_insert"):
            super()._save_row(**kwargs)
            return
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        update_fields = kwargs.get("update_fields")
        with transaction.atomic(using=using):
            current = (
                type(self)
                ._base_manager.using(using)
                .select_for_update()
                .filter(pk=self.pk)
                .values_list("version", flat=True)
                .first()
            )
            if current is None or (expected_version is not None and current != expected_version):
                raise VersionConflict(
                    instance=self,
                    expected=self.version if expected_version is None else expected_version,
                    current=current,
                )
            self.version = current + 1
            if update_fields is not None:
                kwargs["update_fields"] = [*update_fields, "version"]
            super()._save_row(**kwargs)


class Team(VersionedModel):
    """A team of the organisation's tree: the company at the root, divisions and teams below
    (``clean``: no cycle, levels in order). A private team's content, and that of the teams below
    it, is seen only by those with a role on it or above it (``strategy.access``)."""

    class Kind(models.TextChoices):
        COMPANY = "company", "Company"
        DIVISION = "division", "Division"
        TEAM = "team", "Team"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TEAM)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_private = models.BooleanField(
        "private",
        default=False,
        help_text="Only this team's members, leaders above it and the strategy office see its "
        "objectives, initiatives and KPIs.",
    )
    description = models.TextField(blank=True, validators=text_validators(DESCRIPTION_MAX))

    history = history_records()

    # Not fields: what the team tree of the manage pages attaches (workspace.manage_views).
    depth: int
    indent: str
    leaders: list[User]

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="company", parent__isnull=True)
                | (~Q(kind="company") & Q(parent__isnull=False)),
                name="team_company_is_root_others_have_parent",
                violation_error_message="A company has no parent; divisions and teams need one.",
            ),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="team_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    @override
    def clean(self) -> None:
        if self.parent_id and self.pk and self.pk in tree_ancestor_ids(Team, self.parent_id):
            raise ValidationError(
                {"parent": f"“{self.parent}” is inside “{self.name}”: that would make a cycle."}
            )
        # The constraint team_company_is_root_others_have_parent holds it in the database; here
        # the error is shown at the field with its own code (a rule between two fields, which
        # the OpenAPI schema cannot express).
        if (self.kind == self.Kind.COMPANY) == (self.parent_id is not None):
            raise ValidationError(
                {
                    "parent": ValidationError(
                        "A company has no parent; divisions and teams need one.",
                        code="inconsistent",
                    )
                }
            )
        self._clean_levels()

    # The tree's levels, top down: a team sits under a team, a division or the company; a
    # division under a division or the company; nothing above its parent's level.
    LEVELS = {"company": 0, "division": 1, "team": 2}

    def _clean_levels(self) -> None:
        """A team's kind fits its place: not above its parent's level, and not below a child's
        (so a division with divisions under it cannot become a team). ``ValidationError`` on
        ``parent`` or ``kind`` (code ``inconsistent``)."""
        level = self.LEVELS.get(self.kind)
        if level is None:
            return
        parent = self.parent if self.parent_id else None
        if parent is not None and self.LEVELS.get(parent.kind, 0) > level:
            raise ValidationError(
                {
                    "parent": ValidationError(
                        f"A {self.get_kind_display().lower()} cannot sit under the "
                        f"{parent.get_kind_display().lower()} “{parent}”: choose a parent "
                        "of a higher level (the company, a division).",
                        code="inconsistent",
                    )
                }
            )
        if self.pk is None:
            return
        higher = [
            child
            for child in Team.objects.filter(parent_id=self.pk).only("name", "kind")
            if self.LEVELS.get(child.kind, 0) < level
        ]
        if higher:
            raise ValidationError(
                {
                    "kind": ValidationError(
                        f"“{higher[0]}” under this team is a "
                        f"{higher[0].get_kind_display().lower()}: a "
                        f"{self.get_kind_display().lower()} cannot hold it.",
                        code="inconsistent",
                    )
                }
            )


class Membership(TimestampedModel):
    """A person's role (leader, member, viewer) on a team; it carries down to the teams below
    (``strategy.access``). One per person and team."""

    class Role(models.TextChoices):
        LEADER = "leader", "Leader"
        MEMBER = "member", "Member"
        VIEWER = "viewer", "Viewer"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)

    history = history_records()

    class Meta:
        ordering = ["team__name", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="membership_unique_user_team"),
        ]
        indexes = [models.Index(fields=["team", "role"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.team}"


# Lengths a period of each kind may have, in days, both ends counted. A calendar quarter has
# 90 to 92 days and a 13-week (4-4-5) fiscal quarter 91: a week either way is tolerated. A
# calendar year has 365 or 366 days and a 52/53-week fiscal year 364 or 371: two weeks either
# way. Custom periods have any length. (Documented in the README, "Periods", and docs/api.md.)
PERIOD_DAYS: dict[str, tuple[int, int]] = {"quarter": (83, 99), "year": (351, 380)}


class Period(VersionedModel):
    """A planning period (year, quarter or custom) that objectives are set for; ``clean`` checks its
    length against its kind (``PERIOD_DAYS``)."""

    class Kind(models.TextChoices):
        YEAR = "year", "Year"
        QUARTER = "quarter", "Quarter"
        CUSTOM = "custom", "Custom"

    name = models.CharField(max_length=60, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.QUARTER)
    start_date = models.DateField(validators=[validate_date])
    end_date = models.DateField(validators=[validate_date])

    history = history_records()

    class Meta:
        ordering = ["start_date", "end_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")),
                name="period_end_after_start",
                violation_error_message="A period must end after it starts.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The one check of a period's dates (forms, the API and every service call
        ``full_clean``): it ends after it starts, and a quarter or a year lasts what its kind
        says, within ``PERIOD_DAYS`` (both ends counted; "custom" has any length)."""
        # The constraint period_end_after_start holds it in the database; here the error is
        # shown at the field (forms and the API).
        if not (self.start_date and self.end_date):
            return
        if self.end_date <= self.start_date:
            raise ValidationError(
                {
                    "end_date": ValidationError(
                        "A period must end after it starts.", code="inconsistent"
                    )
                }
            )
        bounds = PERIOD_DAYS.get(self.kind)
        days = (self.end_date - self.start_date).days + 1
        if bounds is not None and not bounds[0] <= days <= bounds[1]:
            about = "3 months" if self.kind == self.Kind.QUARTER else "12 months"
            raise ValidationError(
                {
                    "end_date": ValidationError(
                        f"A {self.get_kind_display().lower()} lasts about {about} "
                        f"({bounds[0]} to {bounds[1]} days); this one lasts {days} days. "
                        "Choose the kind Custom for another length.",
                        code="inconsistent",
                    )
                }
            )


class Strategy(VersionedModel):
    """A strategy: vision, horizon (dates), owner and the setup steps skipped. At most one is active
    (the one the pages and the API default to)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        ARCHIVED = "archived", "Archived"

    name = models.CharField(max_length=160)
    vision = models.TextField(blank=True, validators=text_validators(DESCRIPTION_MAX))
    horizon_start = models.DateField(validators=[validate_date])
    horizon_end = models.DateField(validators=[validate_date])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    setup_skipped = models.JSONField(
        default=list,
        blank=True,
        help_text="Keys of the setup checklist's steps the strategy office chose to skip for "
        "this strategy (strategy.setup.SETUP_STEPS); a skipped step can be taken up again.",
    )

    history = history_records()

    class Meta:
        ordering = ["-horizon_start", "name"]
        verbose_name_plural = "strategies"
        constraints = [
            models.CheckConstraint(
                condition=Q(horizon_end__gt=F("horizon_start")),
                name="strategy_horizon_ordered",
                violation_error_message="The horizon must end after it starts.",
            ),
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="active"),
                name="strategy_one_active",
                violation_error_message="Only one strategy can be active; archive the other first.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @override
    def clean(self) -> None:
        if self.horizon_start and self.horizon_end and self.horizon_end <= self.horizon_start:
            raise ValidationError(
                {
                    "horizon_end": ValidationError(
                        "The horizon must end after it starts.", code="inconsistent"
                    )
                }
            )


class Theme(VersionedModel):
    """A strategic theme (pillar) of a strategy, with its weight in the strategy's rollup and its
    order and colour on the pages."""

    strategy = models.ForeignKey(Strategy, on_delete=models.PROTECT, related_name="themes")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, validators=text_validators(DESCRIPTION_MAX))
    colour = models.CharField(max_length=7, default="#4c6ef5", validators=[HEX_COLOUR])
    order = models.PositiveSmallIntegerField(default=0)
    weight = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=Decimal("1"),
        validators=[POSITIVE_WEIGHT],
        help_text="Priority weight of this pillar in the strategy's rollup.",
    )

    history = history_records()

    class Meta:
        ordering = ["strategy", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["strategy", "name"], name="theme_unique_name"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="theme_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Objective(KeyUniqueIgnoringCase, VersionedModel):
    """An objective of a team for a period, under a theme of a strategy, optionally contributing to
    a parent objective (same strategy, no cycle); its dates fit its period
    (``objective_period_mismatch``). Its key is unique whatever its case."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        ACHIEVED = "achieved", "Achieved"
        MISSED = "missed", "Missed"
        CANCELLED = "cancelled", "Cancelled"

    CLOSED_STATUSES = (Status.ACHIEVED, Status.MISSED, Status.CANCELLED)

    strategy = models.ForeignKey(Strategy, on_delete=models.PROTECT, related_name="objectives")
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="objectives")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="objectives")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="objectives")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The objective this one contributes to; empty for company-level objectives.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_objectives",
        help_text="The one person accountable.",
    )
    key = models.SlugField(
        max_length=80,
        unique=True,
        blank=True,
        help_text="Stable identifier for spreadsheets and integrations, e.g. 'grow-smb'. "
        "Empty: proposed from the title.",
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, validators=text_validators(DESCRIPTION_MAX))
    weight = models.DecimalField(
        max_digits=6, decimal_places=2, default=Decimal("1"), validators=[POSITIVE_WEIGHT]
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    start_date = models.DateField(validators=[validate_date])
    due_date = models.DateField(validators=[validate_date])

    history = history_records()
    # Set on an instance by the plan import while it checks a row (sheets.plan_import): the
    # strategy named or inherited and the theme's name, before they resolve. Not fields.
    _import_strategy: Strategy | None
    _import_theme: str

    # Not fields: django-simple-history's author of the next version (objective_save sets it),
    # and the latest score the views and search attach to the rows they show.
    _history_user: User
    latest_score: GapScore | None

    class Meta:
        ordering = ["strategy", "theme__order", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_date__gt=F("start_date")),
                name="objective_due_after_start",
                violation_error_message="The due date must be after the start date.",
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("id")),
                name="objective_not_own_parent",
                violation_error_message="An objective cannot be its own parent.",
            ),
            models.CheckConstraint(condition=Q(weight__gt=0), name="objective_weight_positive"),
        ]
        indexes = [
            models.Index(fields=["strategy", "status"]),
            models.Index(fields=["team", "status"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        """The objective's page."""
        return reverse("strategy:objective-detail", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        """Whether the status is achieved, missed or cancelled (``CLOSED_STATUSES``)."""
        return self.status in self.CLOSED_STATUSES

    @override
    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.start_date and self.due_date and self.due_date <= self.start_date:
            errors["due_date"] = "The due date must be after the start date."
        elif self.period_id and self.start_date and self.due_date:
            mismatch = objective_period_mismatch(
                period=self.period, start_date=self.start_date, due_date=self.due_date
            )
            if mismatch:
                errors["period"] = mismatch
        if self.theme_id and self.strategy_id and self.theme.strategy_id != self.strategy_id:
            errors["theme"] = "The theme belongs to another strategy."
        if self.parent_id and self.parent is not None:
            if self.parent.strategy_id != self.strategy_id:
                errors["parent"] = "The parent objective belongs to another strategy."
            elif self.pk and (
                self.parent_id == self.pk or self.pk in tree_ancestor_ids(Objective, self.parent_id)
            ):
                errors["parent"] = (
                    f"“{self.parent}” is aligned under “{self.title}”: "
                    "choosing it as parent would make a cycle."
                )
        if errors:
            raise inconsistent(errors)


def objective_period_mismatch(*, period: Period, start_date, due_date) -> str:
    """Why an objective running ``start_date``..``due_date`` does not match ``period`` (its dates
    and the period share no day: a Q3 objective dated in Q1), or "" when they match. The one
    rule: ``Objective.clean`` runs it, so the page's form, the API and the admin refuse alike,
    at the ``period`` field."""
    if start_date <= period.end_date and due_date >= period.start_date:
        return ""
    fmt = "SHORT_DATE_FORMAT"
    return (
        f"{period.name} runs {date_format(period.start_date, fmt)} to "
        f"{date_format(period.end_date, fmt)}, outside these dates "
        f"({date_format(start_date, fmt)} to {date_format(due_date, fmt)}): choose the period "
        "they fall in, or change the dates."
    )


class StatusTransition(models.Model):
    """One change of an objective's or an initiative's status: who, when, from, to.

    Written only by ``strategy.lifecycle.status_transition_record``, which the save services
    (``objective_save``, ``initiative_save``) call whenever the status changes, so pages, the
    API and the admin all leave the same trail. Append-only.
    """

    class SubjectType(models.TextChoices):
        OBJECTIVE = "objective", "Objective"
        INITIATIVE = "initiative", "Initiative"

    subject_type = models.CharField(max_length=12, choices=SubjectType.choices)
    subject_id = models.PositiveBigIntegerField()
    from_status = models.CharField(max_length=10)
    to_status = models.CharField(max_length=10)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who changed it (empty: a script, or the person was deleted since).",
    )
    changed_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [
            models.Index(
                fields=["subject_type", "subject_id", "changed_at"],
                name="status_transition_subject",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.subject_type} #{self.subject_id}: {self.from_status} -> {self.to_status} "
            f"at {self.changed_at:%Y-%m-%d %H:%M}"
        )


class HandOver(models.Model):
    """A leaving person's objectives, initiatives, KPIs and active alerts moved to a successor:
    who did it, when, and how many of each moved (``strategy.people_services.person_hand_over``).
    """

    leaving = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handed_over"
    )
    successor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="taken_over"
    )
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(default=timezone.now)
    objectives = models.PositiveIntegerField(default=0)
    initiatives = models.PositiveIntegerField(default=0)
    kpis = models.PositiveIntegerField("KPIs", default=0)
    alerts = models.PositiveIntegerField(
        default=0, help_text="Open or acknowledged alerts whose owner became the successor."
    )

    class Meta:
        ordering = ["-done_at", "-id"]

    def __str__(self) -> str:
        return f"{self.leaving} -> {self.successor} ({self.done_at:%Y-%m-%d})"


class ApiToken(AbstractAuthToken):
    """A personal API token (django-rest-knox): only a SHA-512 digest of the secret is stored.

    The secret is shown once, when the token is created (``strategy.services.token_create``).
    A token acts as the person behind it, further narrowed by its scopes.
    """

    class Scope(models.TextChoices):
        READ = "read", "Read everything the person may see"
        WRITE_MEASUREMENTS = "write:measurements", "Record KPI measurements"
        WRITE_INITIATIVES = "write:initiatives", "Update initiatives, milestones, check-ins, spend"
        ADMIN = "admin", "Everything the person may do"

    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'BI export'.")
    scopes = models.JSONField(default=list, help_text="A list of Scope values.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who created it: the person themselves or an administrator.",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API token"
        ordering = ["-created"]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.token_key}…) of {self.user}"

    @property
    def is_revoked(self) -> bool:
        """Whether the token was revoked (``revoked_at`` set)."""
        return self.revoked_at is not None

    def is_expired(self, now) -> bool:
        """Whether the token's expiry is at or before ``now`` (an aware datetime); never for a token
        without expiry."""
        return self.expiry is not None and self.expiry <= now

    def has_scope(self, scope: str) -> bool:
        """Whether the token carries ``scope`` (an ``ApiToken.Scope`` value); ``admin`` carries
        every scope."""
        return self.Scope.ADMIN in self.scopes or scope in self.scopes


class Invitation(models.Model):
    """An invitation to set a password and sign in (``strategy.invitations``).

    The link carries a signed token naming this invitation and the moment it was (re)sent;
    it works until ``INVITATION_TTL_DAYS`` after that moment, only for the latest sending (a
    resend replaces earlier links), and once (``accepted_at`` set when the password is set).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(Team, null=True, on_delete=models.SET_NULL, related_name="+")
    role = models.CharField(max_length=10, choices=Membership.Role.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    times_sent = models.PositiveIntegerField(default=1)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["user", "accepted_at"])]

    def __str__(self) -> str:
        return f"Invitation of {self.user} ({self.sent_at:%Y-%m-%d})"
