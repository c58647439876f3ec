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
