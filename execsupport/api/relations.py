"""Relations: the id field of related objects with its clear errors."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import (
    serializers,
)
from typing_extensions import override

from execsupport.validation import validate_id


class IdRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary-key relation that refuses out-of-range ids instead of crashing the database."""

    @override
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            number = int(data)
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            validate_id(number)
        except DjangoValidationError:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(number)
