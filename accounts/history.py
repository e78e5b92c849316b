"""History of business records, read from django-pghistory's trigger-written events.

Pages and the admin show what changed, who changed it, when, and from which request or
background task. History rows are never edited or deleted by the application.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pghistory
from django.apps import apps
from django.db import models
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pghistory.middleware import HistoryMiddleware
from pghistory.models import Events

from .models import User

LABELS = {
    "insert": gettext_lazy("created"),
    "update": gettext_lazy("changed"),
    "delete": gettext_lazy("deleted"),
    "add": gettext_lazy("added"),
    "remove": gettext_lazy("removed"),
}


class RequestHistoryMiddleware(HistoryMiddleware):
    """Add the method and a request id to the user and URL pghistory records by default."""

    def get_context(self, request: HttpRequest) -> dict[str, Any]:
        """Context stored with every event written while this request runs."""
        context = super().get_context(request)
        context["method"] = request.method
        context["request_id"] = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        return context


# Tree bookkeeping that treebeard updates by itself; people never change it.
INTERNAL_FIELDS = frozenset({"numchild", "depth"})


@dataclass(frozen=True)
class HistoryEntry:
    """One event prepared for display."""

    when: datetime
    action: str
    model: str
    object_label: str
    changes: list[tuple[str, Any, Any]]
    actor: str
    source: str


def _tracked_model(event_model_label: str) -> type[models.Model] | None:
    try:
        event_model = apps.get_model(event_model_label)
    except LookupError:
        return None
    return getattr(event_model, "pgh_tracked_model", None)


def _field_label(model: type[models.Model] | None, name: str) -> str:
    if model is None:
        return name
    try:
        field = model._meta.get_field(name.removesuffix("_id"))
    except Exception:
        return name
    return str(getattr(field, "verbose_name", name))


def _link_targets(events: list[Events]) -> dict[tuple[type[models.Model], int], str]:
    """Names of the records that events point at through their model's
    ``history_label_field`` (a link table's target, a membership's person): one query per
    target model."""
    wanted: dict[type[models.Model], set[int]] = {}
    for event in events:
        tracked = _tracked_model(event.pgh_model)
        target_field = getattr(tracked, "history_label_field", None)
        if tracked is None or target_field is None:
            continue
        target = tracked._meta.get_field(target_field).related_model
        value = (event.pgh_data or {}).get(f"{target_field}_id")
        if isinstance(target, type) and value is not None:
            wanted.setdefault(target, set()).add(int(value))
    return {
        (model, obj.pk): str(obj)
        for model, ids in wanted.items()
        for obj in model._default_manager.filter(pk__in=ids)
    }


def _object_label(
    tracked: type[models.Model] | None,
    data: dict[str, Any],
    targets: dict[tuple[type[models.Model], int], str],
) -> str:
    target_field = getattr(tracked, "history_label_field", None)
    if tracked is not None and target_field is not None:
        target = tracked._meta.get_field(target_field).related_model
        value = data.get(f"{target_field}_id")
        if isinstance(target, type) and value is not None:
            return targets.get((target, int(value)), "")
    return str(data.get("name") or data.get("subject") or data.get("id", ""))


def _event_labels(tracked: Iterable[type[models.Model]]) -> list[str]:
    """Labels of the event models that track these models (no query)."""
    wanted = set(tracked)
    return [
        model._meta.label
        for model in apps.get_models()
        if getattr(model, "pgh_tracked_model", None) in wanted
    ]


def history_for(
    obj: models.Model, *, limit: int = 50, only: Iterable[type[models.Model]] | None = None
) -> list[HistoryEntry]:
    """The latest events of ``obj`` and of the records that point at it.

    ``only`` keeps, of the records pointing at ``obj``, those of these tracked models, for a
    page whose readers may not see every such record (a chain's page: the items of other
    units on it, other counties' shares of it). Two queries, plus one per kind of record
    that link-table events name (units, people).
    """
    events_of = Events.objects.references(obj)
    if only is not None:
        own = Q(pgh_obj_model=obj._meta.label, pgh_obj_id=str(obj.pk))
        events_of = events_of.filter(own | Q(pgh_model__in=_event_labels(only)))
    events = list(events_of.order_by("-pgh_created_at", "-pgh_id")[:limit])
    user_ids: set[int] = {
        int(e.pgh_context["user"]) for e in events if (e.pgh_context or {}).get("user")
    }
    names = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "name"))
    targets = _link_targets(events)
    entries = []
    for event in events:
        context = event.pgh_context or {}
        tracked = _tracked_model(event.pgh_model)
        data = event.pgh_data or {}
        if event.pgh_label == "update" and event.pgh_diff:
            changes = [
                (_field_label(tracked, key), old, new)
                for key, (old, new) in event.pgh_diff.items()
                if key not in INTERNAL_FIELDS
            ]
            if not changes:
                continue  # only tree bookkeeping changed (a child was added): not news
        else:
            changes = []
        if context.get("task"):
            source = _("background task %(task)s") % {"task": context["task"]}
        elif context.get("url"):
            source = f"{context.get('method', '')} {context['url']}".strip()
        elif context.get("command"):
            source = _("command %(command)s") % {"command": context["command"]}
        else:
            source = _("system")
        entries.append(
            HistoryEntry(
                when=event.pgh_created_at,
                action=str(LABELS.get(event.pgh_label, event.pgh_label)),
                model=str(tracked._meta.verbose_name) if tracked else event.pgh_model,
                object_label=_object_label(tracked, data, targets),
                changes=changes,
                actor=names.get(context.get("user") or 0, "") or _("system"),
                source=source,
            )
        )
    return entries


def command_context(command: str) -> Any:
    """Context manager naming a management command as the source of its changes."""
    return pghistory.context(command=command)
