"""The notice registry's table (督办登记). It sorts through the
:class:`~accountability.filtersets.NoticeFilterSet`'s own ``ordering`` parameter, so the
page, the API and the Excel export read one query string the same way."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_tables2.utils import OrderByTuple

from .models import Notice

#: Notices per page of the registry.
NOTICES_PER_PAGE = 50

#: Bootstrap badge classes by kind, milder to more serious.
KIND_BADGES = {
    "reminder": "text-bg-info",
    "supervision": "text-bg-warning",
    "warning": "app-badge-orange text-bg-danger",
    "accountability": "text-bg-dark",
}


#: Bootstrap badge classes by status (the rest: text-bg-secondary).
STATUS_BADGES = {
    "closed": "text-bg-success",
    "returned": "text-bg-danger",
    "replied": "text-bg-primary",
    "draft": "text-bg-light border",
    "approved": "text-bg-light border",
}


def kind_badge(notice: Notice) -> SafeString:
    """The notice's kind as a badge, darker as it is more serious."""
    return format_html(
        '<span class="badge {}">{}</span>',
        KIND_BADGES.get(notice.kind, "text-bg-secondary"),
        notice.get_kind_display(),
    )


def status_badge(notice: Notice) -> SafeString:
    """The notice's status as a badge (the registry, a notice's page, an item's notices)."""
    return format_html(
        '<span class="badge {}">{}</span>',
        STATUS_BADGES.get(notice.status, "text-bg-secondary"),
        notice.get_status_display(),
    )


def number_cell(notice: Notice, url: str) -> SafeString:
    """The number, a link to the notice; a draft's "not yet issued"."""
    if notice.number:
        return format_html('<a class="text-nowrap" href="{}">{}</a>', url, notice.number)
    return format_html(
        '<span class="text-body-secondary small">{}</span>', gettext("not yet issued")
    )


def deadline_cell(notice: Notice) -> SafeString:
    """The reply deadline, and a red "overdue" when ``notice.overdue`` (annotated)."""
    deadline = format_html(
        '<span class="text-nowrap">{}</span>', notice.reply_deadline.strftime("%Y-%m-%d")
    )
    if not getattr(notice, "overdue", False):
        return deadline
    return format_html(
        '{} <span class="badge text-bg-danger app-overdue">{}</span>',
        deadline,
        pgettext("notice", "overdue"),
    )


@dataclass(frozen=True)
class NoticeCells:
    """One registry row drawn once in Python, for the table and for the phone's card alike:
    50 rows of six cells, each a template render of its own, cost the page about 100 ms at a
    province (cProfile); these are the same markup, built with ``format_html``."""

    record: Notice
    url: str
    number: SafeString
    kind: SafeString
    subject: str
    unit: str
    deadline: SafeString
    status: SafeString

    @classmethod
    def of(cls, notice: Notice) -> NoticeCells:
        """The cells of ``notice`` (its target unit and item loaded with it)."""
        url = reverse("accountability:notice-detail", args=[notice.pk])
        return cls(
            record=notice,
            url=url,
            number=number_cell(notice, url),
            kind=kind_badge(notice),
            subject=notice.subject,
            unit=notice.target_unit.name,
            deadline=deadline_cell(notice),
            status=status_badge(notice),
        )


class NoticeTable(tables.Table):
    """Notices with their number, kind, matter, target unit, reply deadline and status.

    The columns give the header (names, sort links); the body is drawn from :attr:`cells`
    by ``notice_table.html`` (the ``render_*`` methods draw the same cells for anyone
    rendering the table otherwise)."""

    number = tables.Column(
        verbose_name=pgettext_lazy("notice", "number"), orderable=False, empty_values=()
    )
    kind = tables.Column(verbose_name=_("kind"))
    subject = tables.Column(
        verbose_name=_("matter"),
        orderable=False,
        empty_values=(),
        attrs={"td": {"class": "text-break"}},
    )
    target_unit = tables.Column(
        accessor="target_unit__name", verbose_name=_("target unit"), orderable=False
    )
    reply_deadline = tables.Column(verbose_name=_("reply deadline"))
    status = tables.Column(verbose_name=_("status"), orderable=False)

    class Meta:
        model = Notice
        fields = ("number", "kind", "subject", "target_unit", "reply_deadline", "status")
        order_by_field = "ordering"
        attrs = {"class": "table table-sm table-hover align-middle mb-0 app-notices"}
        empty_text = _("No notices match these filters.")
        template_name = "accountability/includes/notice_table.html"

    def render_number(self, record: Notice) -> SafeString:
        """The number cell."""
        return number_cell(record, reverse("accountability:notice-detail", args=[record.pk]))

    def render_kind(self, record: Notice) -> SafeString:
        """The kind's badge."""
        return kind_badge(record)

    def render_subject(self, record: Notice) -> SafeString:
        """The matter, a link to the notice."""
        url = reverse("accountability:notice-detail", args=[record.pk])
        return format_html('<a class="fw-semibold" href="{}">{}</a>', url, record.subject)

    def render_reply_deadline(self, record: Notice) -> SafeString:
        """The deadline, and "overdue"."""
        return deadline_cell(record)

    def render_status(self, record: Notice) -> SafeString:
        """The status's badge."""
        return status_badge(record)

    @cached_property
    def cells(self) -> list[NoticeCells]:
        """The page's rows, drawn once (:class:`NoticeCells`)."""
        return [NoticeCells.of(notice) for notice in self.data]

    #: The keyset page shown (:class:`tasks_ledger.keyset.KeysetPage`): its cursors draw the
    #: previous and next links in place of page numbers.
    keyset: Any = None

    def show_order(self, ordering: Any) -> None:
        """Mark the columns sorted by the filterset's ``ordering`` (arrows, and the next
        click's direction) without sorting the rows: the keyset query returns them in that
        order already (as :meth:`tasks_ledger.tables.LedgerItemTable.show_order`)."""
        terms = [ordering] if isinstance(ordering, str) else list(ordering or ())
        self._order_by = OrderByTuple(
            term
            for term in terms
            if term
            and term.lstrip("-") in self.columns
            and self.columns[term.lstrip("-")].orderable
        )
