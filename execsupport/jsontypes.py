"""JSON request bodies carry the JSON types the OpenAPI schema gives their fields.

DRF's fields convert what they can: ``"5"`` for an integer, ``1`` or ``"true"`` for a boolean,
``0`` for a text, ``"1"`` for a choice of integers, ``12.5`` for a decimal. A client that sends
the wrong type then gets a write it may not have meant (a summary ``"0"`` from a number), and
the schema, which says "string" or "integer", is not the contract the server keeps. Here a JSON
body is checked against the serializer's fields before DRF converts anything: each value must
have the JSON type of its field (``None`` is left to the field's ``allow_null``). Decimals are
strings, as the API returns them (a JSON number is a binary float: ``0.1`` is not 0.1).

Form bodies (the browsable API) are all strings and are not checked here.
"""

from __future__ import annotations

from typing import Any, cast

from rest_framework import exceptions, relations, serializers

TEXT_FIELDS = (
    serializers.CharField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.TimeField,
    serializers.DurationField,
    serializers.UUIDField,
    serializers.DecimalField,
)


def _expected(field: serializers.Field) -> tuple[tuple[type, ...], str] | None:
    """The Python types (as parsed from JSON) a value of ``field`` must have, with a phrase
    for the error; ``None`` when any type may come (JSON fields, unknown field classes)."""
    if isinstance(field, serializers.BooleanField):
        return (bool,), "true or false"
    if isinstance(field, serializers.IntegerField):
        return (int,), "a whole number"
    if isinstance(field, serializers.FloatField):
        return (int, float), "a number"
    if isinstance(field, serializers.DecimalField):
        return (str,), 'a decimal number in a string, e.g. "12.50"'
    if isinstance(field, relations.PrimaryKeyRelatedField) and field.pk_field is None:
        return (int,), "an id (a whole number)"
    if isinstance(field, relations.SlugRelatedField):
        return (str,), "a string"
    if isinstance(field, TEXT_FIELDS):
        return (str,), "a string"
    return None


def _problems(field: serializers.Field, value: Any, path: str) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(field, serializers.ListSerializer):
        if not isinstance(value, list):
            return {path: "Expected a list."}
        found: dict[str, str] = {}
        for index, item in enumerate(value):
            child = cast(serializers.Field, field.child)  # a ListSerializer always has one
            found.update(_problems(child, item, f"{path}.{index}"))
        return found
    if isinstance(field, serializers.Serializer):
        if not isinstance(value, dict):
            return {path: "Expected an object."}
        return body_type_problems(field, value, prefix=f"{path}.")
    if isinstance(field, relations.ManyRelatedField | serializers.ListField):
        if not isinstance(value, list):
            return {path: "Expected a list."}
        child = (
            field.child_relation if isinstance(field, relations.ManyRelatedField) else field.child
        )
        found = {}
        for index, item in enumerate(value):
            found.update(_problems(child, item, f"{path}.{index}"))
        return found
    if isinstance(field, serializers.DictField):  # an object of values of one kind
        if not isinstance(value, dict):
            return {path: "Expected an object."}
        found = {}
        for key, item in value.items():
            found.update(_problems(field.child, item, f"{path}.{key}"))
        return found
    if isinstance(field, serializers.ChoiceField) and not isinstance(
        field, serializers.MultipleChoiceField
    ):
        keys = list(field.choices)
        if keys and not any(type(value) is type(key) for key in keys):
            kind = "a string" if isinstance(keys[0], str) else "a whole number"
            return {path: f"Expected {kind} (one of the choices)."}
        return {}
    expected = _expected(field)
    if expected is None:
        return {}
    types, phrase = expected
    if isinstance(value, bool) and bool not in types:
        return {path: f"Expected {phrase}."}
    if not isinstance(value, types):
        return {path: f"Expected {phrase}."}
    return {}


def body_type_problems(
    serializer: serializers.Serializer, data: dict, *, prefix: str = ""
) -> dict[str, str]:
    """``{field path: message}`` of the values of ``data`` whose JSON type is not the one of
    their field in ``serializer`` (writable fields only; unknown keys are the serializer's
    business)."""
    found: dict[str, str] = {}
    for name, field in serializer.fields.items():
        if field.read_only or name not in data:
            continue
        found.update(_problems(field, data[name], f"{prefix}{name}"))
    return found


def body_types_check(serializer: serializers.Serializer, request) -> None:
    """Raise a 400 (``ValidationError``, code ``invalid``, one error per field) when the JSON
    body of ``request`` has a value of another JSON type than its field in ``serializer``."""
    if not (request.content_type or "").startswith("application/json"):
        return
    data = request.data
    if not isinstance(data, dict):
        return  # the serializer answers "expected a dictionary"
    found = body_type_problems(serializer, data)
    if found:
        raise exceptions.ValidationError(
            {
                path: [exceptions.ErrorDetail(message, code="invalid")]
                for path, message in found.items()
            }
        )


__all__ = ["body_type_problems", "body_types_check"]
