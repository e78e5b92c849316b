"""The notice registry's table (督办登记). It sorts through the
:class:`~accountability.filtersets.NoticeFilterSet`'s own ``ordering`` parameter, so the
page, the API and the Excel export read one query string the same way."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
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


class NoticeTable(tables.Table):
    """Notices with their number, kind, matter, target unit, reply deadline and status."""

    number = tables.TemplateColumn(
        template_name="accountability/includes/notice_number_cell.html",
        verbose_name=pgettext_lazy("notice", "number"),
        orderable=False,
    )
    kind = tables.TemplateColumn(
        template_name="accountability/includes/notice_kind_badge.html",
        verbose_name=_("kind"),
    )
    subject = tables.TemplateColumn(
        '<a class="fw-semibold" href="{% url \'accountability:notice-detail\' record.pk %}">'
        "{{ record.subject }}</a>",
        verbose_name=_("matter"),
        orderable=False,
        attrs={"td": {"class": "text-break"}},
    )
    target_unit = tables.Column(
        accessor="target_unit__name", verbose_name=_("target unit"), orderable=False
    )
    reply_deadline = tables.TemplateColumn(
        template_name="accountability/includes/notice_deadline_cell.html",
        verbose_name=_("reply deadline"),
    )
    status = tables.TemplateColumn(
        template_name="accountability/includes/notice_status_badge.html",
        verbose_name=_("status"),
        orderable=False,
    )

    class Meta:
        model = Notice
        fields = ("number", "kind", "subject", "target_unit", "reply_deadline", "status")
        order_by_field = "ordering"
        attrs = {"class": "table table-sm table-hover align-middle mb-0 app-notices"}
        empty_text = _("No notices match these filters.")
        template_name = "accountability/includes/notice_table.html"

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
