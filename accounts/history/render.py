"""Lines of history as people read them.

Field and choice labels instead of column names and codes, names instead of ids, 是/否,
dates as dates and times in Beijing time, the person who acted with their unit, and the
source in words. One page of lines costs a fixed number of queries: the lines with their
contexts, the events of the short ones, the people, and one query per kind of record their
values name.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, NullIf
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from . import query
from .scope import HistoryScope, concrete, event_models, tracked_model
from .sources import Source, source_of

ACTIONS = {
    "insert": gettext_lazy("created"),
    "update": gettext_lazy("changed"),
    "delete": gettext_lazy("deleted"),
    "add": gettext_lazy("added"),
    "remove": gettext_lazy("removed"),
}

#: Bookkeeping people never change: tree counters, the edit version, timestamps that move
#: with every save.
INTERNAL_FIELDS = frozenset({"numchild", "depth", "path", "version", "updated_at"})

#: Fields, in order of preference, that name a record in a sentence.
NAME_FIELDS = ("name", "subject", "title", "original_name", "text")

EMPTY = "—"

#: Characters of a record's name in a sentence (a progress report is named by its text).
LABEL_CHARS = 60


@dataclass(frozen=True)
class HistoryEntry:
    """One line of history, ready to show.

    A line is one event, or a bulk write summarised: ``count`` events of one context, action
    and kind of record (``objects`` distinct records), listed in full at ``expand_url``.
    """

    when: datetime
    action: str
    model: str
    object_label: str
    changes: list[tuple[str, str, str]]
    actor: str
    actor_unit: str
    source: str
    source_url: str = ""
    count: int = 1
    objects: int = 1
    expand_url: str = ""

    @property
    def is_bulk(self) -> bool:
        """A summary of many events rather than one."""
        return self.count > query.DETAIL_LIMIT

    @property
    def summary(self) -> str:
        """The line as a sentence: "修改 台账事项「12 整治…」" or "新建 台账事项 1,234 项"."""
        if self.is_bulk:
            if self.objects > 1:
                amount = ngettext("%(count)s record", "%(count)s records", self.objects) % {
                    "count": f"{self.objects:,}"
                }
            else:
                amount = ngettext("%(count)s time", "%(count)s times", self.count) % {
                    "count": f"{self.count:,}"
                }
            return _("%(action)s %(model)s %(amount)s") % {
                "action": self.action,
                "model": self.model,
                "amount": amount,
            }
        if self.object_label:
            return _("%(action)s %(model)s “%(name)s”") % {
                "action": self.action,
                "model": self.model,
                "name": self.object_label,
            }
        return f"{self.action} {self.model}"


# --- naming records ---------------------------------------------------------------------


def _name_fields(model: type[models.Model]) -> list[str]:
    names = {f.name for f in model._meta.concrete_fields}
    if {"code", "title"} <= names:
        return ["code", "title"]
    if {"number", "subject_title"} <= names:  # a notice: its official number, its matter
        return ["number", "subject_title"]
    return [n for n in NAME_FIELDS if n in names][:1]


def _name_from(values: dict[str, Any], fields: list[str]) -> str:
    return " ".join(str(values.get(f) or "") for f in fields).strip()


def _label_foreign_key(model: type[models.Model]) -> models.ForeignKey | None:
    """The foreign key whose target names a record that has no name of its own: the
    ``history_label_field`` it declares (a membership's person, a link's unit), else its
    first foreign key (a progress report's item)."""
    declared = getattr(model, "history_label_field", None)
    try:
        if declared:
            found = model._meta.get_field(declared)
            return found if isinstance(found, models.ForeignKey) else None
    except FieldDoesNotExist:
        return None
    if _name_fields(model):
        return None
    keys = [f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey)]
    # The record it belongs to rather than the person who made it (recorded as the actor).
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    return next((f for f in keys if f.related_model is not user_model), keys[0] if keys else None)


class Names:
    """Names of the records that events point at, read once per kind of record."""

    def __init__(self) -> None:
        self.wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
        self.found: dict[tuple[type[models.Model], Any], str] = {}

    def want(self, model: type[models.Model], pk: Any) -> None:
        """Ask for the name of one record."""
        if pk is not None:
            self.wanted[concrete(model)].add(pk)

    def load(self) -> None:
        """One query per kind of record (people are read by :func:`_people`)."""
        for model, pks in self.wanted.items():
            fields = _name_fields(model) or ["pk"]
            for row in model._default_manager.filter(pk__in=pks).values("pk", *fields):
                self.found[(model, row["pk"])] = _name_from(row, fields) or str(row["pk"])

    def get(self, model: type[models.Model], pk: Any) -> str:
        """The record's name, or a note that it no longer exists."""
        if pk is None:
            return ""
        model = concrete(model)
        key = pk
        if model._meta.pk is not None:
            try:
                key = model._meta.pk.to_python(pk)
            except Exception:
                key = pk
        return self.found.get((model, key)) or _("(deleted)")


# --- values -----------------------------------------------------------------------------


def _local(value: str) -> str:
    moment = parse_datetime(value)
    if moment is None:
        return value
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def display_value(model_field: models.Field | None, value: Any, names: Names) -> str:
    """One stored value as people read it."""
    if value is None or value == "":
        return EMPTY
    if model_field is None:
        return str(value)
    if isinstance(model_field, models.ForeignKey):
        return names.get(model_field.related_model, value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.BooleanField):
        return _("yes") if value else _("no")
    if isinstance(model_field, models.DateTimeField):
        return _local(str(value))
    if isinstance(model_field, models.DateField):
        day = parse_date(str(value)[:10])
        return formats.date_format(day, "DATE_FORMAT") if day else str(value)
    if isinstance(model_field, models.DecimalField):
        try:
            return formats.number_format(Decimal(str(value)))
        except InvalidOperation:
            return str(value)
    if isinstance(model_field, models.FileField):
        return str(value).rsplit("/", 1)[-1]
    if isinstance(model_field, models.JSONField) or isinstance(value, dict | list):
        return _structured(value)
    return str(value)


def _structured(value: Any) -> str:
    """A JSON value in words: a flat mapping as "key：value" pairs, a list of plain values
    joined, anything deeper only by its size (its detail is the record's own business)."""
    plain = (str, int, float, bool)
    if isinstance(value, dict):
        if not value:
            return EMPTY
        if all(isinstance(item, plain) or item is None for item in value.values()):
            return "；".join(
                f"{key}：{item if item not in (None, '') else EMPTY}" for key, item in value.items()
            )
        return ngettext("%(count)d entry", "%(count)d entries", len(value)) % {"count": len(value)}
    if isinstance(value, list):
        if not value:
            return EMPTY
        if all(isinstance(item, plain) for item in value):
            return "、".join(str(item) for item in value)
        return ngettext("%(count)d entry", "%(count)d entries", len(value)) % {"count": len(value)}
    return json.dumps(value, ensure_ascii=False)


def _fields_by_column(model: type[models.Model]) -> dict[str, models.Field]:
    return {f.column: f for f in model._meta.concrete_fields if f.column}


# --- people -------------------------------------------------------------------------------


def _people(user_ids: Iterable[Any], names: Names) -> dict[int, tuple[str, str]]:
    """Name and unit of each person: the unit of their first post, else of their first role
    (one query)."""
    from accounts.models import Membership, RoleAssignment, User

    ids = {int(pk) for pk in user_ids if str(pk).isdigit()}
    if not ids:
        return {}
    post_unit = Membership.objects.filter(user=OuterRef("pk")).order_by("unit__path", "post")
    role_unit = RoleAssignment.objects.filter(user=OuterRef("pk")).order_by("scope__path")
    users = User.objects.filter(pk__in=ids).annotate(
        unit_name=Coalesce(
            Subquery(post_unit.annotate(n=_unit_name("unit__")).values("n")[:1]),
            Subquery(role_unit.annotate(n=_unit_name("scope__")).values("n")[:1]),
            Value(""),
        )
    )
    people = {}
    for pk, name, username, unit_name in users.values_list("pk", "name", "username", "unit_name"):
        people[pk] = (name or username, unit_name)
        names.found[(User, pk)] = name or username
    return people


def _unit_name(prefix: str) -> Any:
    """A unit's short name where it has one, else its full name (Unit.display_name)."""
    return Coalesce(NullIf(f"{prefix}short_name", Value("")), f"{prefix}name")


# --- putting it together ----------------------------------------------------------------


def _changes(
    tracked: type[models.Model], event: query.EventRow, names: Names
) -> list[tuple[str, str, str]]:
    """(field label, old, new) of an update, in field order, bookkeeping left out."""
    if event.label != "update" or not event.previous:
        return []
    changes = []
    for column, model_field in _fields_by_column(tracked).items():
        if model_field.name in INTERNAL_FIELDS or column not in event.data:
            continue
        old, new = event.previous.get(column), event.data.get(column)
        if old == new:
            continue
        changes.append(
            (
                str(getattr(model_field, "verbose_name", model_field.name)),
                display_value(model_field, old, names),
                display_value(model_field, new, names),
            )
        )
    return changes


def _want_names(tracked: type[models.Model], event: query.EventRow, names: Names) -> None:
    label_key = _label_foreign_key(tracked)
    for model_field in tracked._meta.concrete_fields:
        if not isinstance(model_field, models.ForeignKey):
            continue
        changed = event.previous is not None and event.previous.get(
            model_field.column
        ) != event.data.get(model_field.column)
        if model_field is label_key or (event.label == "update" and changed):
            names.want(model_field.related_model, event.data.get(model_field.column))
            if event.previous is not None:
                names.want(model_field.related_model, event.previous.get(model_field.column))


def _object_label(tracked: type[models.Model], data: dict[str, Any], names: Names) -> str:
    """The record's name in a sentence; a long text (a report's) cut to its start."""
    label_key = _label_foreign_key(tracked)
    if label_key is not None:
        return names.get(label_key.related_model, data.get(label_key.column))
    return Truncator(_name_from(data, _name_fields(tracked))).chars(LABEL_CHARS)


@dataclass
class Reader:
    """Who reads the history: decides which import jobs are linked for them."""

    user_id: int | None = None
    import_jobs: dict[int, int] = field(default_factory=dict)  # job -> uploader

    def job_url(self, job: int) -> str:
        """The import's page, for its uploader (the only one who may open it)."""
        if self.user_id is None or self.import_jobs.get(job) != self.user_id:
            return ""
        try:
            return reverse("ledger:import-job", args=[job])
        except NoReverseMatch:
            return ""


def _load_jobs(reader: Reader, sources: Iterable[Source]) -> None:
    jobs = {s.import_job for s in sources if s.import_job is not None}
    if not jobs or reader.user_id is None:
        return
    try:
        job_model = apps.get_model("tasks_ledger", "ImportJob")
    except LookupError:
        return
    reader.import_jobs.update(
        job_model._default_manager.filter(pk__in=jobs).values_list("pk", "created_by_id")
    )


def entries(
    scope: HistoryScope,
    *,
    offset: int = 0,
    limit: int = 25,
    grouped: bool = True,
    reader_id: int | None = None,
    expand_base: str = "",
) -> list[HistoryEntry]:
    """One page of the history of ``scope``, newest first.

    Queries: the lines (with their contexts); the events of the short lines; the people;
    one per kind of record named; the import jobs when an import is among the sources.
    ``expand_base`` is the full history page that lists a bulk line's events.
    """
    lines = query.lines(scope, offset=offset, limit=limit, grouped=grouped)
    if not lines:
        return []
    short = defaultdict(list)
    for line in lines:
        if line.count <= query.DETAIL_LIMIT:
            short[line.model].extend(line.ids[: line.count])
    by_id = {(e.model, e.id): e for e in (query.events(short) if short else [])}
    items: list[tuple[query.Line | query.EventRow, dict[str, Any]]] = []
    for line in lines:
        if line.count > query.DETAIL_LIMIT:
            items.append((line, line.context))
        else:
            found = (by_id.get((line.model, pk)) for pk in line.ids[: line.count])
            items.extend((event, line.context) for event in found if event is not None)
    return describe(items, reader_id=reader_id, expand_base=expand_base)


def describe(
    items: list[tuple[query.Line | query.EventRow, dict[str, Any]]],
    *,
    reader_id: int | None = None,
    expand_base: str = "",
    keep_all: bool = False,
) -> list[HistoryEntry]:
    """Events (and bulk lines), each with its pghistory context's metadata, as people read
    them; the names, people and import jobs they mention are read once for all of them.

    Updates of bookkeeping alone are left out unless ``keep_all`` (one entry per item)."""
    models_by_label = {m._meta.label: tracked_model(m) for m in event_models()}
    names = Names()
    for item, _context in items:
        tracked = models_by_label.get(item.model)
        if isinstance(item, query.EventRow) and tracked is not None:
            _want_names(tracked, item, names)
    people_ids = {context.get("user") for _item, context in items if context.get("user")}
    from accounts.models import User

    people_ids |= names.wanted.pop(User, set())
    people = _people(people_ids, names)
    names.load()
    sources = [source_of(context) for _item, context in items]
    reader = Reader(user_id=reader_id)
    _load_jobs(reader, sources)

    result = []
    for (item, context), source in zip(items, sources, strict=True):
        tracked = models_by_label.get(item.model)
        model_name = str(tracked._meta.verbose_name) if tracked else item.model
        action = str(ACTIONS.get(item.label, item.label))
        user = str(context.get("user") or "")
        actor, actor_unit = people.get(int(user) if user.isdigit() else 0, (_("system"), ""))
        said: dict[str, Any] = {
            "action": action,
            "model": model_name,
            "actor": actor,
            "actor_unit": actor_unit,
            "source": source.text,
            "source_url": reader.job_url(source.import_job) if source.import_job else "",
        }
        if isinstance(item, query.Line):
            expand = ""
            if expand_base:
                params = {"batch": item.batch, "model": item.model, "action": item.label}
                joiner = "&" if "?" in expand_base else "?"
                expand = f"{expand_base}{joiner}{urlencode(params)}"
            result.append(
                HistoryEntry(
                    when=item.last_at,
                    object_label="",
                    changes=[],
                    count=item.count,
                    objects=item.objects,
                    expand_url=expand,
                    **said,
                )
            )
            continue
        changes = _changes(tracked, item, names) if tracked is not None else []
        if not keep_all and (tracked is None or (item.label == "update" and not changes)):
            continue  # only bookkeeping changed (a child unit was added): not news
        result.append(
            HistoryEntry(
                when=item.at,
                object_label=_object_label(tracked, item.data, names) if tracked else "",
                changes=changes,
                **said,
            )
        )
    return result


def when_display(moment: datetime | date) -> str:
    """A moment in Beijing time as people write it: 2026年12月6日 15:04."""
    if isinstance(moment, datetime):
        return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
    return formats.date_format(moment, "DATE_FORMAT")
