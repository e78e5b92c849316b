"""pghistory's admin list of every event, read as the pages read history: Beijing time, the
person and their unit, the change in labels and names, and the source in words.

pghistory registers its own admin for its aggregate ``Events`` model; ``config.apps``'s
``HistoryAdminConfig`` registers this subclass instead. Its filters and the record an
"Events" button on a change page opens keep working as pghistory built them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from pghistory.admin import core

from . import query
from .render import ACTIONS, HistoryEntry, describe, when_display
from .scope import event_models, tracked_model


def _previous(event: Any) -> dict[str, Any] | None:
    """The row before an update, from pghistory's diff of it ({column: [old, new]})."""
    if event.pgh_label != "update" or not event.pgh_diff:
        return None
    before = dict(event.pgh_data or {})
    before.update({column: pair[0] for column, pair in event.pgh_diff.items()})
    return before


class PeopleEventsChangeList(core.EventsChangeList):
    """Reads the page's events in people's words once, for all rows of the page."""

    def get_results(self, request: HttpRequest) -> None:
        """The page of events, each given ``people``: its :class:`HistoryEntry`."""
        super().get_results(request)
        events = list(self.result_list)
        items: list[tuple[query.Line | query.EventRow, dict[str, Any]]] = [
            (
                query.EventRow(
                    model=e.pgh_model,
                    id=e.pgh_id,
                    at=e.pgh_created_at,
                    label=e.pgh_label,
                    context_id=str(e.pgh_context_id) if e.pgh_context_id else None,
                    data=e.pgh_data or {},
                    previous=_previous(e),
                ),
                e.pgh_context or {},
            )
            for e in events
        ]
        for event, entry in zip(
            events, describe(items, reader_id=request.user.pk, keep_all=True), strict=True
        ):
            event.people = entry
        self.result_list = events


class ActionFilter(core.LabelFilter):
    """pghistory's label filter, in words (新建, 修改, …)."""

    title = _("action")  # type: ignore[assignment]

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        """The labels pghistory offers, named."""
        return [
            (label, str(ACTIONS.get(label, label)))
            for label, _name in super().lookups(request, model_admin)
        ]


class RecordKindFilter(core.EventModelFilter):
    """pghistory's event-model filter, named by the records it holds (台账事项, 单位, …)."""

    title = _("kind of record")  # type: ignore[assignment]

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        """Event models by the verbose name of the model they track."""
        names = {
            m._meta.label_lower: str(tracked_model(m)._meta.verbose_name) for m in event_models()
        }
        found = super().lookups(request, model_admin)
        return sorted(((key, names.get(key, label)) for key, label in found), key=lambda p: p[1])


class MethodFilter(core.MethodFilter):
    title = _("which events")  # type: ignore[assignment]

    def lookups(self, request: HttpRequest, model_admin: Any) -> tuple[tuple[str, Any], ...]:
        """The record's own events, or also those of the records pointing at it."""
        return (
            ("tracks", _("the record's own")),
            ("references", _("with the records pointing at it")),
        )


class ObjFilter(core.ObjFilter):
    title = _("record")  # type: ignore[assignment]


class ModelFilter(core.ModelFilter):
    title = _("kind of record")  # type: ignore[assignment]


class PeopleEventsAdmin(core.EventsAdmin):
    """Every history event, newest first, in people's words (read only)."""

    list_display = ("when", "actor", "what", "source")
    list_display_links = ("when",)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[PeopleEventsChangeList]:
        """The change list that reads a page's names and people at once."""
        return PeopleEventsChangeList

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        """Our columns rather than pghistory's raw ones."""
        return self.list_display

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        """pghistory's filters, titled in words."""
        filters: list[Any] = [ActionFilter, RecordKindFilter]
        if "obj" in request.GET:
            filters.extend([MethodFilter, ObjFilter, core.BackFilter])
        elif "model" in request.GET:
            filters.extend([ModelFilter, core.BackFilter])
        return filters

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """pghistory's list, with the record it is about named in words."""
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        obj = core._get_obj(request.GET.get("obj"))
        model = core._get_model(request.GET.get("model"))
        if context is not None and obj is not None:
            context["subtitle"] = f"{obj._meta.verbose_name} {obj}"
        elif context is not None and model is not None:
            context["subtitle"] = str(model._meta.verbose_name)
        return response

    @admin.display(description=_("time"))
    def when(self, event: Any) -> str:
        """Beijing time, as people write it."""
        return when_display(event.pgh_created_at)

    @admin.display(description=_("by"))
    def actor(self, event: Any) -> str:
        """The person and their unit, or 系统."""
        entry: HistoryEntry = event.people
        if not entry.actor_unit:
            return entry.actor
        return format_html("{} <small>{}</small>", entry.actor, entry.actor_unit)

    @admin.display(description=_("what happened"))
    def what(self, event: Any) -> str:
        """The sentence and each changed field with its old and new value."""
        entry: HistoryEntry = event.people
        changes = format_html_join(
            "",
            "<div><b>{}</b>：<s>{}</s> → {}</div>",
            (
                (label, Truncator(old).chars(80), Truncator(new).chars(80))
                for label, old, new in entry.changes
            ),
        )
        return format_html("<div>{}</div>{}", entry.summary, changes)

    @admin.display(description=_("source"))
    def source(self, event: Any) -> str:
        """Where the change came from, in words."""
        entry: HistoryEntry = event.people
        return entry.source
