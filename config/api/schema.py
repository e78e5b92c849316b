"""The OpenAPI schema says every answer a view can give, in the shape it really has.

drf-standardized-errors' ``AutoSchema`` adds the standard error responses (400 to 500) from
what a view is made of; this subclass adds what it cannot see, and a postprocessing hook
makes the ``attr`` of validation errors match what is sent. ``tests/test_api_fuzz.py``
(schemathesis over the whole schema) is what keeps this true.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.plumbing import is_serializer
from drf_standardized_errors.openapi import AutoSchema as StandardErrorsAutoSchema
from drf_standardized_errors.openapi_utils import (
    get_flat_serializer_fields,
    get_serializer_fields_with_error_codes,
)
from drf_standardized_errors.settings import package_settings
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings as drf_settings

from config.api.base import ServiceErrorsMixin

WRITE_METHODS = ("PUT", "PATCH", "POST")

# Codes a serializer's own ``validate()`` raises, which no field declares, by the attr they
# come under. DRF's username-and-password check refuses with code "authorization".
SERIALIZER_ERROR_CODES: dict[type[serializers.Serializer], dict[str, set[str]]] = {
    AuthTokenSerializer: {"non_field_errors": {"authorization"}},
}


def _blank_in_model(field: serializers.Field) -> bool:
    """Whether a model-backed serializer field may hold "" (its model field is blank=True)."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source:
        return False
    try:
        return bool(model._meta.get_field(field.source).blank)
    except FieldDoesNotExist:
        return False


class AutoSchema(StandardErrorsAutoSchema):
    """drf-standardized-errors' schema, with the answers it does not foresee."""

    def _should_add_http403_error_response(self) -> bool:
        """Also 403 for a change made in a session without its CSRF token.

        drf-standardized-errors leaves 403 out when ``IsAuthenticated`` is the only
        permission (a missing login is 401), but session authentication refuses unsafe
        methods without a valid CSRF token with 403 whatever the permissions.
        """
        csrf_checked = self.method not in SAFE_METHODS and any(
            isinstance(authenticator, SessionAuthentication)
            for authenticator in self.view.get_authenticators()
        )
        return csrf_checked or super()._should_add_http403_error_response()

    # --- 400: validation errors -------------------------------------------------------------
    def _request_serializers(self) -> list[Any]:
        """The request body's serializers, also when ``extend_schema`` names one per media
        type (``{"multipart/form-data": ..., "application/json": ...}``), which the base
        class does not look into."""
        if self.method not in WRITE_METHODS:
            return []
        request = self.get_request_serializer()
        candidates = list(request.values()) if isinstance(request, dict) else [request]
        unique: list[Any] = []
        for candidate in candidates:
            if is_serializer(candidate) and candidate not in unique:
                unique.append(candidate)
        return unique

    def _query_serializer(self) -> Any:
        """The serializer a read checks its query with (the view's ``query_serializer_class``,
        for queries no FilterSet describes), whose errors are a 400 like a body's."""
        if self.method != "GET":
            return None
        query = getattr(self.view, "query_serializer_class", None)
        return query() if query is not None else None

    def _calls_services(self) -> bool:
        """A change through a service, which may refuse it with a validation error of its own
        (a Django ``ValidationError``, see ``config.api.base.api_exception``)."""
        return self.method not in SAFE_METHODS and isinstance(self.view, ServiceErrorsMixin)

    def _should_add_validation_error_response(self) -> bool:
        """Also for bodies given per media type, and for every change through a service."""
        return (
            super()._should_add_validation_error_response()
            or bool(self._request_serializers())
            or self._calls_services()
            or self._query_serializer() is not None
        )

    def _determine_fields_with_error_codes(self) -> list[Any]:
        """The fields of every request serializer, when there is one per media type, and of
        the query's serializer."""
        query = self._query_serializer()
        if query is not None:
            return get_serializer_fields_with_error_codes(get_flat_serializer_fields(query))
        if isinstance(self.get_request_serializer(), dict):
            fields: list[Any] = []
            for serializer in self._request_serializers():
                fields.extend(get_flat_serializer_fields(serializer))
            return get_serializer_fields_with_error_codes(fields)
        return super()._determine_fields_with_error_codes()

    def _get_validation_error_codes_by_field(self, data_fields: list[Any]) -> dict[str, set[str]]:
        """The fields' codes, those a serializer's own validation raises, and a service's.

        A service refuses with a Django ``ValidationError``, whose code is "invalid" unless
        it names one: about a field of the request, about none (``attr`` null), or about a
        field of the record that the request does not carry. The last two are one kind,
        written out by ``postprocess_error_attrs``.
        """
        codes = dict(super()._get_validation_error_codes_by_field(data_fields))
        separator = package_settings.NESTED_FIELD_SEPARATOR
        item_errors = f"{separator}{drf_settings.NON_FIELD_ERRORS_KEY}"
        for data_field in data_fields:
            field = data_field.field
            # A filter choosing a row refuses a NUL in its value before looking it up
            # (Django's ModelChoiceField.to_python), with a code of its own.
            if isinstance(field, forms.ModelChoiceField):
                codes[data_field.name] = {
                    *codes.get(data_field.name, set()),
                    "null_characters_not_allowed",
                }
            parent = getattr(field, "parent", None)
            # A serializer's ``validate_<field>`` refuses with DRF's default code.
            if parent is not None and hasattr(parent, f"validate_{field.field_name}"):
                codes[data_field.name] = {*codes.get(data_field.name, set()), "invalid"}
            # A nested object or list of objects that is missing or null is refused under its
            # own name (``milestones``), as is a null in the list (``milestones.0``), not
            # among their non-field errors.
            if isinstance(field, serializers.BaseSerializer) and data_field.name.endswith(
                item_errors
            ):
                name = data_field.name.removesuffix(item_errors)
                empty = {"null"} - ({"null"} if field.allow_null else set())
                empty |= {"required"} if field.required else set()
                codes[name] = {*codes.get(name, set()), *empty}
                if isinstance(field, serializers.ListSerializer):
                    item = f"{name}{separator}{package_settings.LIST_INDEX_IN_API_SCHEMA}"
                    codes[item] = {*codes.get(item, set()), "null"}
        for serializer in self._request_serializers():
            serializer_class = serializer if isinstance(serializer, type) else type(serializer)
            for known, extra in SERIALIZER_ERROR_CODES.items():
                if issubclass(serializer_class, known):
                    for attr, attr_codes in extra.items():
                        codes[attr] = {*codes.get(attr, set()), *attr_codes}
        if self._calls_services():
            codes = {attr: {*attr_codes, "invalid"} for attr, attr_codes in codes.items()}
            # drf-standardized-errors documents the key None as errors whose attr is null.
            codes[None] = {"invalid"}  # type: ignore[index]
        return codes

    def _map_serializer_field(
        self, field: serializers.Field, direction: str, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        """A read-only e-mail or URL whose model allows blank may also be "".

        drf-spectacular offers "" beside the format only when the field has
        ``allow_blank``, which a ModelSerializer drops from read-only fields.
        """
        schema: dict[str, Any] = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            field.read_only
            and schema.get("type") == "string"
            and "format" in schema
            and _blank_in_model(field)
        ):
            outer_keys = {"readOnly", "writeOnly", "nullable", "deprecated", "description", "title"}
            inner = {key: value for key, value in schema.items() if key not in outer_keys}
            outer = {key: value for key, value in schema.items() if key in outer_keys}
            schema = {**outer, "oneOf": [inner, {"type": "string", "maxLength": 0}]}
        return schema


def _attr_pattern(attr: str) -> str | None:
    """A regular expression for an error ``attr`` that names list items or dict keys.

    The schema writes ``decisions.INDEX.title``; the error says ``decisions.0.title``.
    """
    separator = package_settings.NESTED_FIELD_SEPARATOR
    placeholders = {
        package_settings.LIST_INDEX_IN_API_SCHEMA: r"\d+",
        package_settings.DICT_KEY_IN_API_SCHEMA: r"[^" + re.escape(separator) + "]+",
    }
    parts = attr.split(separator)
    if not placeholders.keys() & set(parts):
        return None
    return (
        "^"
        + re.escape(separator).join(placeholders.get(part, re.escape(part)) for part in parts)
        + "$"
    )


def _attr_schema(kind: dict[str, Any]) -> dict[str, Any] | None:
    attr = kind.get("properties", {}).get("attr")
    return attr if isinstance(attr, dict) else None


def postprocess_error_attrs(
    result: dict[str, Any], generator: Any, **kwargs: Any
) -> dict[str, Any]:
    """Every validation error's ``attr`` matches its documented kind.

    drf-standardized-errors documents ``items.INDEX.title`` as the only value of ``attr``,
    while the response names the item (``items.0.title``): such an ``attr`` becomes a
    pattern. A service's error about no field of the request (``attr`` null, see
    ``AutoSchema._get_validation_error_codes_by_field``) becomes the kind for every
    ``attr`` that no other kind of the operation names. An error list holding either
    loses its ``attr`` discriminator, whose mapping can only name fixed strings; its
    ``oneOf`` still tells the kinds apart.
    """
    schemas = result.get("components", {}).get("schemas", {})
    ref = "#/components/schemas/"
    loose: set[str] = set()  # kinds whose ``attr`` is no fixed name
    for name, kind in schemas.items():
        attr = _attr_schema(kind)
        values = attr.get("enum") if attr else None
        if attr is None or not values or len(values) != 1:
            continue
        if values[0] is None:
            loose.add(ref + name)
            continue
        pattern = _attr_pattern(values[0]) if isinstance(values[0], str) else None
        if pattern is not None:
            del attr["enum"]
            attr["pattern"] = pattern
            attr["description"] = (
                f"`{values[0]}`, the item's index (or key) in place of the capitals."
            )
            loose.add(ref + name)
    for errors in schemas.values():
        kinds = [item.get("$ref", "") for item in errors.get("oneOf", [])]
        discriminator = errors.get("discriminator")
        if not (loose & set(kinds)) or not isinstance(discriminator, dict):
            continue
        if discriminator.get("propertyName") != "attr":
            continue
        del errors["discriminator"]
        others = []
        for kind_ref in kinds:
            attr = _attr_schema(schemas.get(kind_ref.removeprefix(ref), {}))
            if attr is None or attr.get("enum") == [None]:
                continue
            if "pattern" in attr:
                others.append({"type": "string", "pattern": attr["pattern"]})
            else:
                others.append({"type": "string", "enum": attr.get("enum", [])})
        for kind_ref in kinds:
            attr = _attr_schema(schemas.get(kind_ref.removeprefix(ref), {}))
            if attr is not None and attr.get("enum") == [None]:
                attr.clear()
                attr.update(
                    {
                        "type": "string",
                        "nullable": True,
                        "not": {"anyOf": others},
                        "description": "null when the error is about the request as a "
                        "whole; otherwise a field of the record, not of the request, "
                        "whose value the change would make invalid.",
                    }
                )
    return result
