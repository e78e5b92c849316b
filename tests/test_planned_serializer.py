"""``config.api.planned``: rows written with fields built once a process are what DRF's own
loop writes, in every way a field may find its value (no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from rest_framework import serializers

from config.api.planned import PlannedListSerializer, writer


class Place(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class Row(serializers.Serializer):
    """Every way a field finds its value: an attribute, a dotted source, a method that
    takes no arguments, a dict, a nested serializer (or None), a method field, a missing
    attribute with a default, one skipped, a date, a decimal, a choice."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    city = serializers.CharField(source="place.name", allow_null=True)
    shout = serializers.CharField(source="loud")
    extra = serializers.CharField(source="data.key")
    place = Place(allow_null=True)
    label = serializers.SerializerMethodField()  # type: ignore[assignment]
    missing = serializers.CharField(default="默认")
    optional = serializers.CharField(required=False)
    day = serializers.DateField()
    amount = serializers.DecimalField(max_digits=7, decimal_places=2)
    light = serializers.ChoiceField(choices=[("red", "红灯"), ("green", "绿灯")])

    class Meta:
        list_serializer_class = PlannedListSerializer

    def get_label(self, row: Any) -> str:
        return f"{row.title}·{row.id}"


class Thing(SimpleNamespace):
    def loud(self) -> str:
        return str(self.title).upper()


def rows() -> list[Thing]:
    place = SimpleNamespace(id=7, name="兴城区")
    return [
        Thing(
            id=1,
            title="a<b>",
            place=place,
            data={"key": "值"},
            day=dt.date(2022, 6, 1),
            amount=Decimal("1000.5"),
            light="red",
            optional="有",
        ),
        Thing(
            id=2,
            title="二",
            place=None,
            data={"key": ""},
            day=None,
            amount=None,
            light="green",
        ),
    ]


def test_rows_are_written_as_drf_writes_them() -> None:
    """GIVEN rows that take every path WHEN written many at once THEN the result equals DRF's
    own ListSerializer over the same serializer, field for field and in order."""
    planned = Row(rows(), many=True)
    assert isinstance(planned, PlannedListSerializer)
    own = serializers.ListSerializer(child=Row(), instance=rows())
    assert planned.data == own.data
    assert [list(row) for row in planned.data] == [list(row) for row in own.data]
    first, second = planned.data
    assert first["city"] == "兴城区" and second["place"] is None and second["city"] is None
    assert first["shout"] == "A<B>" and first["missing"] == "默认"
    assert "optional" in first and "optional" not in second
    assert first["amount"] == "1000.50" and first["day"] == "2022-06-01"


def test_the_fields_are_built_once_a_process() -> None:
    """The same writer serves every request: the serializer is not built again."""
    assert writer(Row) is writer(Row)


def test_an_error_in_a_source_is_drfs_error() -> None:
    """A method that fails is reported as DRF reports it, not hidden as a missing value."""

    class Broken(Thing):
        def loud(self) -> str:
            raise AttributeError("nope")

    row = Broken(**vars(rows()[0]))
    with pytest.raises(ValueError, match="callable attribute"):
        Row([row], many=True).data  # noqa: B018 - reading it writes it
