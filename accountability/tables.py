"""The notice registry's table (督办登记). It sorts through the
:class:`~accountability.filtersets.NoticeFilterSet`'s own ``ordering`` parameter, so the
page, the API and the Excel export read one query string the same way."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import django_tables2 as tables
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from config.markup import escape
from config.markup import format_html_fast as format_html
from config.tables import KeysetTable

from .models import Notice, NoticeKind, NoticeStatus

if TYPE_CHECKING:
    from .selectors import RegistryRow

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


def kind_badge(notice: Notice, label: str | None = None) -> SafeString:
    """The notice's kind as a badge, darker as it is more serious (``label``: the kind's
    name, when the caller has it translated already)."""
    return format_html(
        '<span class="badge {}">{}</span>',
        KIND_BADGES.get(notice.kind, "text-bg-secondary"),
        notice.get_kind_display() if label is None else label,
    )


def status_badge(notice: Notice, label: str | None = None) -> SafeString:
    """The notice's status as a badge (the registry, a notice's page, an item's notices)."""
    return format_html(
        '<span class="badge {}">{}</span>',
        STATUS_BADGES.get(notice.status, "text-bg-secondary"),
        notice.get_status_display() if label is None else label,
    )


def number_cell(notice: Notice, url: str, not_issued: str | None = None) -> SafeString:
    """The number, a link to the notice; a draft's "not yet issued"."""
    if notice.number:
        return format_html('<a class="text-nowrap" href="{}">{}</a>', url, notice.number)
    return format_html(
        '<span class="text-body-secondary small">{}</span>',
        gettext("not yet issued") if not_issued is None else not_issued,
    )


def deadline_cell(notice: Notice, overdue: str | None = None) -> SafeString:
    """The reply deadline, and a red "overdue" when ``notice.overdue`` (annotated)."""
    deadline = format_html(
        '<span class="text-nowrap">{}</span>', notice.reply_deadline.strftime("%Y-%m-%d")
    )
    if not getattr(notice, "overdue", False):
        return deadline
    return format_html(
        '{} <span class="badge text-bg-danger app-overdue">{}</span>',
        deadline,
        pgettext("notice", "overdue") if overdue is None else overdue,
    )


#: A notice id no notice has: its detail URL, reversed once, gives every row's by replacing it.
_SOME_ID = 9_876_543_210


@dataclass(frozen=True)
class Words:
    """What every row of a page says alike, translated once for the page: the kinds' and
    statuses' names (``get_kind_display`` rebuilds its choices and translates for every
    call), "not yet issued", "overdue", and the detail URL's pattern (one ``reverse``)."""

    kinds: dict[str, str]
    statuses: dict[str, str]
    not_issued: str
    overdue: str
    deadline: str
    detail: str

    @classmethod
    def now(cls) -> Words:
        """In the active language."""
        return cls(
            kinds={value: str(label) for value, label in NoticeKind.choices},
            statuses={value: str(label) for value, label in NoticeStatus.choices},
            not_issued=gettext("not yet issued"),
            overdue=pgettext("notice", "overdue"),
            deadline=gettext("reply deadline"),
            detail=reverse("accountability:notice-detail", args=[_SOME_ID]),
        )

    def url(self, pk: int) -> str:
        """The notice's page."""
        return self.detail.replace(str(_SOME_ID), str(pk))


#: A registry row in the wide screen's table (the columns of :class:`NoticeTable`).
ROW_HTML = (
    "<tr><td>{number}</td><td>{kind}</td>"
    '<td class="text-break"><a class="fw-semibold" href="{url}">{subject}</a></td>'
    "<td>{unit}</td><td>{deadline}</td><td>{status}</td></tr>"
)
#: The same notice as a phone's card.
CARD_HTML = (
    '<li class="list-group-item">'
    '<div class="d-flex flex-wrap align-items-center gap-2 mb-1">'
    '{kind} {number} <span class="ms-auto">{status}</span></div>'
    '<a class="fw-semibold d-block text-break" href="{url}">{subject}</a>'
    '<div class="small text-body-secondary">{unit} · {deadline_label} {deadline}</div>'
    "</li>"
)


@dataclass(frozen=True)
class NoticeCells:
    """One registry row drawn once in Python, as the wide screen's table row (``tr``) and
    the phone's card (``card``) alike: through templates, 50 rows of six cells and their
    cards cost the page over a thousand template renders and most of its time at a province
    (cProfile). The same markup as :func:`kind_badge`, :func:`number_cell` and the rest,
    each value escaped once (:func:`config.markup.escape`) and the badges drawn once a page
    (:class:`Badges`)."""

    record: RegistryRow
    url: str
    tr: SafeString
    card: SafeString

    @staticmethod
    def parts(row: RegistryRow, badges: Badges) -> dict[str, str]:
        """The row's cells (markup), by the names of :data:`ROW_HTML` and :data:`CARD_HTML`."""
        url = escape(badges.words.url(row.pk))
        if row.number:
            number = f'<a class="text-nowrap" href="{url}">{escape(row.number)}</a>'
        else:
            number = badges.not_issued
        deadline = f'<span class="text-nowrap">{row.reply_deadline.strftime("%Y-%m-%d")}</span>'
        if row.overdue:
            deadline += badges.overdue
        return {
            "url": url,
            "number": number,
            "kind": badges.kind(row.kind),
            "subject": escape(row.subject),
            "unit": escape(row.target_unit_name),
            "deadline": deadline,
            "status": badges.status(row.status),
        }

    @classmethod
    def of(cls, row: RegistryRow, badges: Badges | None = None) -> NoticeCells:
        """The row of ``row`` (:func:`accountability.selectors.notice_rows`)."""
        badges = badges or Badges(Words.now())
        cells = cls.parts(row, badges)
        return cls(
            record=row,
            url=badges.words.url(row.pk),
            tr=mark_safe(ROW_HTML.format(**cells)),  # noqa: S308 - every value escaped
            card=mark_safe(CARD_HTML.format(deadline_label=badges.deadline, **cells)),  # noqa: S308
        )


class Badges:
    """A page's badges and fixed cells, drawn once from its :class:`Words` (the detail
    URL holds only digits and the path's fixed characters: nothing to escape)."""

    def __init__(self, words: Words) -> None:
        self.words = words
        self.not_issued = (
            f'<span class="text-body-secondary small">{escape(words.not_issued)}</span>'
        )
        self.overdue = (
            f' <span class="badge text-bg-danger app-overdue">{escape(words.overdue)}</span>'
        )
        self.deadline = escape(words.deadline)
        self._kinds: dict[str, str] = {}
        self._statuses: dict[str, str] = {}

    def kind(self, kind: str) -> str:
        """:func:`kind_badge` of a kind."""
        return self._badge(self._kinds, kind, KIND_BADGES, self.words.kinds)

    def status(self, status: str) -> str:
        """:func:`status_badge` of a status."""
        return self._badge(self._statuses, status, STATUS_BADGES, self.words.statuses)

    @staticmethod
    def _badge(
        drawn: dict[str, str], value: str, styles: Mapping[str, str], labels: Mapping[str, str]
    ) -> str:
        """A value's badge, drawn once a page (``drawn``: those drawn so far)."""
        found = drawn.get(value)
        if found is None:
            css = styles.get(value, "text-bg-secondary")
            label = escape(labels.get(value, value))
            found = drawn[value] = f'<span class="badge {css}">{label}</span>'
        return found


class NoticeTable(KeysetTable):
    """Notices with their number, kind, matter, target unit, reply deadline and status.

    The columns give the header (names, sort links:
    :meth:`~config.tables.KeysetTable.draw_head`); the body is drawn from :attr:`cells`
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
        accessor="target_unit_name", verbose_name=_("target unit"), orderable=False
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

    def _part(self, record: RegistryRow, name: str) -> SafeString:
        """One cell of ``record`` as the page's rows draw it (:meth:`NoticeCells.parts`)."""
        return mark_safe(NoticeCells.parts(record, self.badges)[name])  # noqa: S308 - escaped

    def render_number(self, record: RegistryRow) -> SafeString:
        """The number cell."""
        return self._part(record, "number")

    def render_kind(self, record: RegistryRow) -> SafeString:
        """The kind's badge."""
        return self._part(record, "kind")

    def render_subject(self, record: RegistryRow) -> SafeString:
        """The matter, a link to the notice."""
        url = self.badges.words.url(record.pk)
        return format_html('<a class="fw-semibold" href="{}">{}</a>', url, record.subject)

    def render_reply_deadline(self, record: RegistryRow) -> SafeString:
        """The deadline, and "overdue"."""
        return self._part(record, "deadline")

    def render_status(self, record: RegistryRow) -> SafeString:
        """The status's badge."""
        return self._part(record, "status")

    @cached_property
    def badges(self) -> Badges:
        """The page's badges (:class:`Badges`), in the active language."""
        return Badges(Words.now())

    @cached_property
    def cells(self) -> list[NoticeCells]:
        """The page's rows, drawn once (:class:`NoticeCells`)."""
        return [NoticeCells.of(row, self.badges) for row in self.data]
