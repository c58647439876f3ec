"""The plan: teams and their people, planning periods, strategies, themes and the objective tree.

Both trees (teams and objectives) are adjacency lists over a ``parent`` key; whole subtrees and
ancestor chains are read in one query with a recursive CTE (see ``strategy/selectors.py``).
"""

from __future__ import annotations

import copy
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models, router, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from knox.models import AbstractAuthToken

from execsupport.validation import (
    DESCRIPTION_MAX,
    inconsistent,
    text_validators,
    validate_date,
)

HEX_COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour as #rrggbb.")
POSITIVE_WEIGHT = MinValueValidator(Decimal("0.01"))
STRATEGY_OFFICE_GROUP = "Strategy office"


class Priority(models.IntegerChoices):
    LOW = 1, "Low"
    MEDIUM = 2, "Medium"
    HIGH = 3, "High"
    CRITICAL = 4, "Critical"


class VersionConflict(Exception):
    """The row was saved by someone else since the caller read it (optimistic concurrency).

    ``expected`` is the version the caller read, ``current`` the version in the database now
    (``None``: the row was deleted meanwhile). Nothing was written.
    """

    def __init__(self, *, instance: models.Model, expected: int, current: int | None):
        self.instance = instance
        self.expected = expected
        self.current = current
        name = instance._meta.verbose_name
        if current is None:
            message = f"This {name} was deleted by someone else meanwhile."
        else:
            message = (
                f"This {name} was changed by someone else meanwhile "
                f"(you read version {expected}; it is now at version {current})."
            )
        super().__init__(message)


def _kept(value):
    # A JSON value read from the database is a fresh dict or list that the caller may change
    # in place: remember a copy, or the change would not be seen.
    return copy.deepcopy(value) if isinstance(value, dict | list) else value


class TimestampedModel(models.Model):
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

    class Meta:
        abstract = True

    def save(
        self,
        *,
        force_insert: bool = False,
        force_update: bool = False,
        using: str | None = None,
        update_fields=None,
        **options,
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
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_values = {
            name: _kept(value)
            for name, value in zip(field_names, values, strict=True)
            if value is not models.DEFERRED
        }
        return instance

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
        loaded = getattr(self, "_loaded_values", None)
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

    def clean(self) -> None:
        from strategy.selectors import team_ancestor_ids

        if self.parent_id and self.pk and self.pk in team_ancestor_ids(team_id=self.parent_id):
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


class Membership(TimestampedModel):
    class Role(models.TextChoices):
        LEADER = "leader", "Leader"
        MEMBER = "member", "Member"
        VIEWER = "viewer", "Viewer"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        ordering = ["team__name", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="membership_unique_user_team"),
        ]
        indexes = [models.Index(fields=["team", "role"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.team}"


class Period(VersionedModel):
    class Kind(models.TextChoices):
        YEAR = "year", "Year"
        QUARTER = "quarter", "Quarter"
        CUSTOM = "custom", "Custom"

    name = models.CharField(max_length=60, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.QUARTER)
    start_date = models.DateField(validators=[validate_date])
    end_date = models.DateField(validators=[validate_date])

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
        # The constraint period_end_after_start holds it in the database; here the error is
        # shown at the field (forms and the API).
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            raise ValidationError(
                {
                    "end_date": ValidationError(
                        "A period must end after it starts.", code="inconsistent"
                    )
                }
            )


class Strategy(VersionedModel):
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

    class Meta:
        ordering = ["strategy", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["strategy", "name"], name="theme_unique_name"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="theme_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Objective(VersionedModel):
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
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, validators=text_validators(DESCRIPTION_MAX))
    weight = models.DecimalField(
        max_digits=6, decimal_places=2, default=Decimal("1"), validators=[POSITIVE_WEIGHT]
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    start_date = models.DateField(validators=[validate_date])
    due_date = models.DateField(validators=[validate_date])

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
        return reverse("strategy:objective-detail", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED_STATUSES

    def clean(self) -> None:
        from strategy.selectors import objective_ancestor_ids

        errors: dict[str, str] = {}
        if self.start_date and self.due_date and self.due_date <= self.start_date:
            errors["due_date"] = "The due date must be after the start date."
        if self.theme_id and self.strategy_id and self.theme.strategy_id != self.strategy_id:
            errors["theme"] = "The theme belongs to another strategy."
        if self.parent_id:
            if self.parent.strategy_id != self.strategy_id:
                errors["parent"] = "The parent objective belongs to another strategy."
            elif self.pk and (
                self.parent_id == self.pk
                or self.pk in objective_ancestor_ids(objective_id=self.parent_id)
            ):
                errors["parent"] = (
                    f"“{self.parent}” is aligned under “{self.title}”: "
                    "choosing it as parent would make a cycle."
                )
        if errors:
            raise inconsistent(errors)


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
    """A leaving person's objectives, initiatives and KPIs moved to a successor: who did it,
    when, and how many of each moved (``strategy.services.person_hand_over``)."""

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
        return self.revoked_at is not None

    def is_expired(self, now) -> bool:
        return self.expiry is not None and self.expiry <= now

    def has_scope(self, scope: str) -> bool:
        return self.Scope.ADMIN in self.scopes or scope in self.scopes
