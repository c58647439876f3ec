"""The input rules every door shares: pages, the API, the bulk ingest, the admin and commands.

One validator per rule. Each is a plain Django validator (a callable raising
``django.core.exceptions.ValidationError`` with a ``code``), so that

* model fields carry it (``validators=[...]``): ``ModelForm``, DRF's ``ModelSerializer`` and the
  services' ``full_clean()`` all apply it without a second copy;
* fields declared by hand (a form's ``forms.DateField``, a serializer's ``FloatField``) list it
  in ``validators=``;
* flat validators (``metrics.services.measurements_ingest``) call it and turn the error into
  their row error with ``rule_error()``;
* the OpenAPI schema reads the bounds below (``MIN_DATE`` ...) to describe them.

The rules (documented for API users in docs/api.md, "Input rules"):

==============  ===========================================================================
rule            bound
==============  ===========================================================================
dates           from ``MIN_DATE`` (1900-01-01) to ``MAX_DATE`` (2199-12-31)
values          finite, magnitude below ``VALUE_LIMIT`` (1e15)
ids             integers from 1 to ``MAX_ID`` (2**63 - 1, a 64-bit database key)
texts           at most the field's length (``TEXT_LIMITS``); no NUL character
==============  ===========================================================================

Why this module is long: it is the one place each input rule is written (the house rule: one
place per rule, for every door). With each rule are the form fields that apply it (ids, dates),
the way a rule's error reaches a form or a row, and the database constraints' messages; apart,
a door could take a rule without its field or its message.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db import models
from django.utils.deconstruct import deconstructible
from typing_extensions import override

MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2199, 12, 31)
VALUE_LIMIT = 1e15
MAX_ID = 2**63 - 1
# Database ids in URLs and filters: anything longer is refused before it reaches the database.
ID_REGEX = r"[0-9]{1,18}"

# Maximum lengths of free texts, in characters. Check-in texts are a paragraph each; longer
# write-ups belong in a linked document.
CHECKIN_TEXT_MAX = 2000
DESCRIPTION_MAX = 5000
NOTE_MAX = 300
REASON_MAX = 2000
TEXT_LIMITS = {
    "checkin.summary": CHECKIN_TEXT_MAX,
    "checkin.blockers": CHECKIN_TEXT_MAX,
    "checkin.next_steps": CHECKIN_TEXT_MAX,
    "measurement.note": NOTE_MAX,
    "description": DESCRIPTION_MAX,
    "reason": REASON_MAX,
}


@deconstructible
class DateRangeValidator:
    """A calendar date between ``MIN_DATE`` and ``MAX_DATE`` (code ``out_of_range``).

    Dates outside it are typing slips (``0001-01-01``, ``9999-12-31``) that no plan needs, and
    they break date arithmetic downstream (a chart's margin of ten days past ``9999-12-31``)."""

    code = "out_of_range"

    def __call__(self, value: dt.date | None) -> None:
        if value is None:
            return
        if isinstance(value, dt.datetime):
            value = value.date()
        if not MIN_DATE <= value <= MAX_DATE:
            raise ValidationError(
                "Enter a date from %(min)s to %(max)s.",
                code=self.code,
                params={"min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()},
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DateRangeValidator)

    def __hash__(self) -> int:
        return hash(self.code)


@deconstructible
class FiniteValueValidator:
    """A finite number whose magnitude is below ``VALUE_LIMIT`` (code ``out_of_range``).

    The limit keeps every derived figure (gaps, forecasts, chart bands) a finite double."""

    code = "out_of_range"

    def __call__(self, value: float | None) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError("Enter a number.", code="invalid")
        if not math.isfinite(value) or abs(value) >= VALUE_LIMIT:
            raise ValidationError(
                "Enter a finite number below %(limit)s in magnitude.",
                code=self.code,
                params={"limit": f"{VALUE_LIMIT:g}"},
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FiniteValueValidator)

    def __hash__(self) -> int:
        return hash(self.code)


@deconstructible
class IdValidator:
    """A database id: an integer from 1 to ``MAX_ID`` (code ``invalid_id``)."""

    code = "invalid_id"

    def __call__(self, value: int | None) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
            raise ValidationError(
                "Enter an id from 1 to %(max)s.", code=self.code, params={"max": MAX_ID}
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IdValidator)

    def __hash__(self) -> int:
        return hash(self.code)


@deconstructible
class NonZeroValidator:
    """A number other than zero (code ``zero``): a spend entry of 0 records nothing."""

    code = "zero"

    def __call__(self, value) -> None:
        if value is not None and value == 0:
            raise ValidationError("Enter an amount other than zero.", code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NonZeroValidator)

    def __hash__(self) -> int:
        return hash(self.code)


validate_date = DateRangeValidator()
validate_nonzero = NonZeroValidator()
validate_value = FiniteValueValidator()
validate_id = IdValidator()
validate_no_nul = ProhibitNullCharactersValidator(code="null_characters")


def text_validators(max_length: int) -> list[Callable[[Any], None]]:
    """The validators of a free text: its maximum length and no NUL character (PostgreSQL
    refuses NUL in text; a model ``TextField`` checks neither by itself)."""
    return [MaxLengthValidator(max_length), validate_no_nul]


def validate_not_future(
    value: dt.date, *, today: dt.date, message: str = "The date is in the future."
) -> None:
    """A date that has happened (code ``future``): measurements, completions, check-ins. A
    date-time is compared by its date (``today`` is the local date)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if value > today:
        raise ValidationError(message, code="future")


# The "not in the future" rules of the models, each checked by the model's ``clean()`` (so
# every form, API call, service and import that saves one applies it) with ``validate_not_future``.
FUTURE_MILESTONE_COMPLETION = "A milestone cannot be completed in the future."
FUTURE_CHECKIN = "A check-in cannot be dated in the future."


def validate_fields(checks: dict[str, tuple[Any, list[Callable[[Any], None]]]]) -> None:
    """Run each field's validators on its value (``{field: (value, [validator, ...])}``);
    raise one ``ValidationError`` naming every failing field with its first error, as a
    service does before it writes (forms and the API show them field by field)."""
    errors: dict[str, ValidationError] = {}
    for name, (value, validators) in checks.items():
        for validator in validators:
            try:
                validator(value)
            except ValidationError as error:
                errors[name] = error
                break
    if errors:
        raise ValidationError(errors)


def inconsistent(errors: dict[str, str]) -> ValidationError:
    """The error of rules between fields (an end before its start, a theme of another strategy,
    a target below the baseline of an increasing KPI), field by field with the code
    ``inconsistent``: the one kind of refusal of input that the OpenAPI schema, which describes
    each field alone, cannot announce."""
    return ValidationError(
        {name: ValidationError(message, code="inconsistent") for name, message in errors.items()}
    )


def is_valid_id(value: Any) -> bool:
    """Whether ``value`` (an int or a string of digits) is a database id; never raises."""
    if isinstance(value, bool):
        return False
    if not isinstance(value, int | str):
        value = str(value)
    if isinstance(value, str):
        if not value.isascii() or not value.isdigit() or len(value) > 19:
            return False
        value = int(value)
    return isinstance(value, int) and 0 < value <= MAX_ID


def rule_error(error: ValidationError) -> tuple[str, str]:
    """``(code, message)`` of a validator's error, for flat validators that report rows."""
    first = error.error_list[0]
    message = first.message % first.params if first.params else first.message
    return first.code or "invalid", str(message)


class IdFormField(forms.IntegerField):
    """A form field for an id (filters, pickers by id): 1 to ``MAX_ID``, else a form error."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)

    @override
    def to_python(self, value):
        # A 20-digit id is refused as "too large" by max_value; a 5000-digit one must not reach
        # int() (Python refuses to convert strings past 4300 digits).
        if isinstance(value, str) and len(value.strip()) > 20:
            raise ValidationError(
                "Enter an id from 1 to %(max)s.", code="invalid_id", params={"max": MAX_ID}
            )
        return super().to_python(value)


def _id_or_invalid(field: forms.ModelChoiceField, value: Any) -> None:
    """Refuse a value of a choice-by-id field that cannot be an id (an invalid choice)."""
    by_id = field.to_field_name in (None, "pk", "id")
    if by_id and value not in field.empty_values and not is_valid_id(value):
        raise ValidationError(
            field.error_messages.get("invalid_choice", "Select a valid choice."),
            code="invalid_choice",
            params={"value": str(value)[:40]},
        )


class IdModelChoiceField(forms.ModelChoiceField):
    """A choice of one object by id that refuses impossible ids (past 64 bits, 5,000 digits)
    as an invalid choice before they reach the database (SQLite raised OverflowError)."""

    @override
    def to_python(self, value):
        _id_or_invalid(self, value)
        return super().to_python(value)


class IdModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """``IdModelChoiceField`` for a list of ids (``contributors``)."""

    def _check_values(self, value):
        for item in value:
            try:
                _id_or_invalid(self, item)
            except ValidationError:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": str(item)[:40]},
                ) from None
        return super()._check_values(value)  # type: ignore[misc]  # Django's own method, not in the stubs


def id_safe_formfield(db_field, **kwargs):
    """``formfield_callback`` of the project's model forms: relations choose by checked id."""
    if isinstance(db_field, models.ForeignKey):
        kwargs.setdefault("form_class", IdModelChoiceField)
    elif isinstance(db_field, models.ManyToManyField):
        kwargs.setdefault("form_class", IdModelMultipleChoiceField)
    return db_field.formfield(**kwargs)


class ModelForm(forms.ModelForm):
    """Base of the project's model forms: relation fields refuse impossible ids
    (``id_safe_formfield``); the model fields bring the other rules of this module."""

    class Meta:
        formfield_callback = id_safe_formfield


class DateFormField(forms.DateField):
    """A form date within the shared range (``validate_date``)."""

    default_validators = [validate_date]


__all__ = [
    "CHECKIN_TEXT_MAX",
    "DESCRIPTION_MAX",
    "FUTURE_CHECKIN",
    "FUTURE_MILESTONE_COMPLETION",
    "ID_REGEX",
    "MAX_DATE",
    "MAX_ID",
    "MIN_DATE",
    "NOTE_MAX",
    "REASON_MAX",
    "TEXT_LIMITS",
    "VALUE_LIMIT",
    "DateFormField",
    "IdFormField",
    "IdModelChoiceField",
    "IdModelMultipleChoiceField",
    "ModelForm",
    "id_safe_formfield",
    "inconsistent",
    "is_valid_id",
    "rule_error",
    "text_validators",
    "validate_date",
    "validate_fields",
    "validate_id",
    "validate_no_nul",
    "validate_nonzero",
    "validate_not_future",
    "validate_value",
]


def form_error_add(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ``ValidationError`` on a form: each error at the field it names when the
    form has that field, else form-wide (above the form).

    Services validate whole models, so they may name fields a page's form does not show (e.g.
    ``start_date`` of a period made by the year helper); ``form.add_error(None, error)`` raises
    ``ValueError`` for those, which was a 500. Every page that shows a service's refusal calls
    this.
    """
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


# --- check constraints at their field ---------------------------------------------------------
# The field each database check constraint is about. Django reports a violated check
# constraint as an error of the whole object ("Constraint “team_not_own_parent” is violated."
# under no field): the API's 400 then had ``field: ""`` where the page's form shows the error
# at the field. ``FieldConstraintsMixin`` reports it at this field, with a plain message.
CONSTRAINT_FIELDS: dict[str, str] = {
    "team_not_own_parent": "parent",
    "team_company_is_root_others_have_parent": "parent",
    "period_end_after_start": "end_date",
    "strategy_horizon_ordered": "horizon_end",
    "strategy_one_active": "status",
    "theme_weight_positive": "weight",
    "objective_due_after_start": "due_date",
    "objective_not_own_parent": "parent",
    "objective_weight_positive": "weight",
    "dependency_not_on_itself": "depends_on",
    "initiative_due_after_start": "due_date",
    "initiative_progress_0_100": "progress",
    "initiative_cadence_1_366": "checkin_cadence_days",
    "initiative_budget_not_negative": "budget_planned",
    "initiative_effort_not_negative": "effort_planned_fte",
    "initiative_weight_positive": "weight",
    "milestone_weight_positive": "weight",
    "checkin_summary_required": "summary",
    "checkin_confidence_0_100": "confidence",
    "checkin_progress_0_100": "progress",
    "spend_amount_not_zero": "amount",
    "kpi_target_after_baseline": "target_date",
    "kpi_increase_target_above_baseline": "target_value",
    "kpi_decrease_target_below_baseline": "target_value",
    "kpi_range_bounds_ordered": "range_high",
    "kpi_weight_positive": "weight",
    "kpi_cadence_1_366": "cadence_days",
    "target_revision_reason_required": "reason",
    "measurement_value_finite": "value",
    "review_custom_cadence_days": "cadence_days",
    "comment_body_unless_deleted": "body",
    "support_test_end_after_start": "test_end",
    "survey_round_window": "closes_on",
}
# Checks of several fields at once or of rows nobody types (scores, alerts) stay errors of
# the whole object; tests/test_constraint_fields.py keeps this list and the map complete.
CONSTRAINTS_OF_THE_OBJECT = frozenset(
    {
        "kpi_measures_one_subject",  # an objective or an initiative: either field
        "kpi_values_finite",  # baseline, target and range at once
        "review_scope_has_its_object",  # the serializer and the form say which field
        "trajectory_value_finite",
        "gapscore_score_0_100",
        "gapscore_progress_0_1",
        "alert_resolved_has_time",
        "alert_acknowledged_has_time",
        "notification_prefs_day_hour",  # two choice fields: a form's choices keep them valid
        "survey_answer_scale",
        "assessment_frozen_has_date",
    }
)
# Plain messages of the constraints declared without one (Django's default names the
# constraint, which means nothing to the reader).
CONSTRAINT_MESSAGES: dict[str, str] = {
    "team_not_own_parent": "A team cannot be its own parent.",
    "theme_weight_positive": "The weight must be above 0.",
    "objective_weight_positive": "The weight must be above 0.",
    "initiative_budget_not_negative": "The planned budget cannot be negative.",
    "initiative_effort_not_negative": "The planned effort cannot be negative.",
    "initiative_weight_positive": "The weight must be above 0.",
    "milestone_weight_positive": "The weight must be above 0.",
    "kpi_weight_positive": "The weight must be above 0.",
    "survey_round_window": "The round must close on or after the day it opens.",
    "initiative_cadence_1_366": "Choose 1 to 366 days between check-ins.",
    "kpi_cadence_1_366": "Choose 1 to 366 days between measurements.",
}


class FieldConstraintsMixin:
    """``validate_constraints`` reporting each check constraint of ``CONSTRAINT_FIELDS`` at
    its field (with ``CONSTRAINT_MESSAGES``' plain message when it has one), so forms, the API
    (a field-level 400) and imports say which field is wrong; other constraints as Django
    does. The database constraint stays the guard. A model may add its own map as
    ``constraint_fields`` (constraints made in a loop, e.g. one per capability)."""

    constraint_fields: dict[str, str] = {}

    def validate_constraints(self, exclude=None):
        from django.db import router

        errors: dict[str, list] = {}
        model: Any = type(self)  # a model class: the mixin comes before models.Model
        using = router.db_for_write(model, instance=self)
        for model_class, constraints in self.get_constraints():  # type: ignore[attr-defined]
            for constraint in constraints:
                try:
                    constraint.validate(model_class, self, exclude=exclude, using=using)
                except ValidationError as error:
                    field = self.constraint_fields.get(constraint.name) or CONSTRAINT_FIELDS.get(
                        constraint.name
                    )
                    fields: tuple[str, ...] = tuple(getattr(constraint, "fields", ()))
                    if field is None and getattr(error, "code", None) == "unique":
                        field = fields[0] if len(fields) == 1 else None
                    if field is None:
                        errors = error.update_error_dict(errors)
                        continue
                    message = CONSTRAINT_MESSAGES.get(constraint.name)
                    errors.setdefault(field, []).append(
                        ValidationError(message, code="inconsistent") if message else error
                    )
        if errors:
            raise ValidationError(errors)
