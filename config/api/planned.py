"""Many rows written as a read serializer writes them, its fields built once a process.

DRF builds a serializer's fields anew for every response (a model serializer with four
nested ones: some 45 fields from the model's metadata) and asks each field of each row for
its value through a general path (``Field.get_attribute``: the source walked, every value
tested for a callable by its signature). For a page of 50 items of 40 fields that was half of
the API list's time at a province. :class:`PlannedListSerializer` writes the same values
with the same fields' own ``to_representation``: the child serializer class is built once
per process, and each field's value is read by its ``source_attrs`` directly, falling back to
the field's own ``get_attribute`` for anything unusual (a missing attribute, a callable,
a relation's primary-key shortcut). ``tasks_ledger/tests/test_api.py`` checks the JSON is
byte for byte what the serializer writes.

Only for read serializers whose fields do not read ``context`` (a request, a user): the
fields are those of one instance made without a context.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models.manager import BaseManager
from rest_framework import relations, serializers
from rest_framework.fields import SkipField, is_simple_callable

#: Writes one row (an instance) as the serializer's ``to_representation`` would.
Writer = Callable[[Any], Any]


class _Fallback(Exception):
    """The direct read met something only the field's own path handles."""


#: Whether a method (by its function) takes no arguments: DRF's test, by the signature,
#: made once per function rather than once per row.
_NO_ARGUMENTS: dict[Any, bool] = {}


def _takes_no_arguments(method: types.MethodType) -> bool:
    found = _NO_ARGUMENTS.get(method.__func__)
    if found is None:
        found = _NO_ARGUMENTS[method.__func__] = bool(is_simple_callable(method))
    return found


def _read(instance: Any, attrs: tuple[str, ...]) -> Any:
    for attr in attrs:
        instance = instance[attr] if isinstance(instance, Mapping) else getattr(instance, attr)
        if isinstance(instance, types.MethodType):
            if _takes_no_arguments(instance):
                instance = instance()  # an error here: the caller takes the general path
        elif isinstance(instance, types.FunctionType | functools.partial):
            raise _Fallback
    return instance


def _field_writer(field: Any) -> Callable[[Any, dict[str, Any]], None]:
    """Puts one field's value of a row into the row's dict (or nothing: a skipped field)."""
    name: str = field.field_name
    general_only = (serializers.ListSerializer, relations.RelatedField, relations.ManyRelatedField)
    if isinstance(field, general_only):
        represent: Callable[[Any], Any] = field.to_representation

        def general(instance: Any, into: dict[str, Any]) -> None:
            # The serializer's own loop, for what the direct read does not cover.
            try:
                value = field.get_attribute(instance)
            except SkipField:
                return
            check = value.pk if isinstance(value, relations.PKOnlyObject) else value
            into[name] = None if check is None else represent(value)

        return general
    attrs = tuple(field.source_attrs)
    value_of: Callable[[Any], Any] = (
        _writer_of(field) if isinstance(field, serializers.Serializer) else field.to_representation
    )

    def direct(instance: Any, into: dict[str, Any]) -> None:
        try:
            value = _read(instance, attrs)
        except (_Fallback, KeyError, AttributeError, ObjectDoesNotExist):
            try:
                value = field.get_attribute(instance)
            except SkipField:
                return
        into[name] = None if value is None else value_of(value)

    return direct


def _writer_of(serializer: serializers.Serializer) -> Writer:
    """A row writer from a serializer instance's readable fields (built once, here)."""
    steps = [_field_writer(field) for field in serializer._readable_fields]

    def write(instance: Any) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for step in steps:
            step(instance, row)
        return row

    return write


@functools.cache
def writer(serializer_class: type[serializers.Serializer]) -> Writer:
    """The row writer of ``serializer_class``, made once a process from an instance without
    a context (so its fields must not read one)."""
    return _writer_of(serializer_class())


class PlannedListSerializer(serializers.ListSerializer):
    """``many=True`` of a read serializer (``Meta.list_serializer_class``): the rows written
    by :func:`writer`, the same JSON as DRF's own loop."""

    def to_representation(self, data: Iterable[Any]) -> list[Any]:  # type: ignore[override]
        """Each row as the child serializer writes it."""
        rows = data.all() if isinstance(data, BaseManager) else data
        write = writer(type(self.child))  # type: ignore[arg-type]
        return [write(row) for row in rows]
