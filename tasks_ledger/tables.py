"""django-tables2 tables of the ledger pages.

The item table sorts through the :class:`~tasks_ledger.filtersets.LedgerItemFilterSet`'s own
``ordering`` parameter (its column names are the filterset's ordering names), so the page,
the API and the Excel export read one query string the same way. Its rows are rendered by
``tasks_ledger/includes/item_row.html``, the template an htmx update answers with, so a row
looks the same whether the page drew it or a swap replaced it.
"""

from __future__ import annotations

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import Ledger, LedgerItem, ReviewMeeting

NUMBER = {"td": {"class": "text-end"}, "th": {"class": "text-end"}}

#: Items per page of the list; the liaison updating forty items on Friday sees them at once.
ITEMS_PER_PAGE = 50


class LedgerItemTable(tables.Table):
    """Items of the caller's jurisdiction with their light and the in-row progress form."""

    # Numbers are text ("10" sorts before "2"): the list keeps the selector's natural order.
    code = tables.Column(verbose_name=_("number"), orderable=False)
    title = tables.Column(verbose_name=_("item"), orderable=False)
    unit = tables.Column(verbose_name=_("responsible unit"), order_by=("unit__path",))
    chain = tables.Column(
        verbose_name=_("lead department / responsible person"), orderable=False, empty_values=()
    )
    deadline = tables.Column(verbose_name=_("deadline"))
    # The same expressions as the filterset's ordering; red first on the first click.
    light = tables.Column(
        verbose_name=_("light"), order_by=("light_rank",), initial_sort_descending=True
    )
    status = tables.Column(verbose_name=_("status"), orderable=False)
    progress = tables.Column(verbose_name=pgettext_lazy("percent done", "progress"))

    class Meta:
        model = LedgerItem
        fields = ("code", "title", "unit", "chain", "deadline", "light", "status", "progress")
        template_name = "tasks_ledger/includes/item_table.html"
        # Sorting is the filterset's: ?ordering=deadline, ?ordering=-light ...
        order_by_field = "ordering"
        attrs = {"class": "table table-sm align-middle app-items mb-0"}
        empty_text = _("No items match these filters.")


class LedgerTable(tables.Table):
    """Ledgers with their area, kind, owner and how many of their items the caller sees."""

    title = tables.TemplateColumn(
        '<a class="fw-semibold" href="{% url \'ledger:item-list\' %}?ledger={{ record.pk }}">'
        "{{ record.title }}</a>",
        verbose_name=_("ledger"),
        order_by=("title",),
        attrs={"td": {"class": "text-break"}},
    )
    area = tables.Column(
        accessor="area__name", verbose_name=_("area"), order_by=("area__sort_order", "area__name")
    )
    kind = tables.TemplateColumn(
        '<span class="badge app-kind">{{ record.get_kind_display }}</span>',
        verbose_name=_("kind"),
        order_by=("kind",),
    )
    owner = tables.TemplateColumn(
        "{{ record.owner_unit.display_name }}"
        '{% if record.task_force %}<div class="small text-body-secondary">'
        "{{ record.task_force.name }}</div>{% endif %}",
        verbose_name=_("owner"),
        order_by=("owner_unit__path",),
        attrs={"td": {"class": "text-break"}},
    )
    visible_items = tables.Column(verbose_name=_("items"), attrs=NUMBER)
    signed_off_items = tables.Column(verbose_name=_("signed off"), attrs=NUMBER)
    share = tables.TemplateColumn(
        template_name="tasks_ledger/includes/signed_off_share.html",
        verbose_name=_("signed-off share"),
        orderable=False,
        attrs={"td": {"class": "app-share"}},
    )

    class Meta:
        model = Ledger
        fields = ("title", "area", "kind", "owner")
        sequence = ("title", "area", "kind", "owner", "visible_items", "signed_off_items", "share")
        attrs = {"class": "table table-hover align-middle"}
        empty_text = _("No ledger holds items you can see yet.")


class MeetingTable(tables.Table):
    """Review meetings, newest first."""

    date = tables.DateColumn(verbose_name=_("date"), format="Y-m-d")
    kind = tables.TemplateColumn(
        '<span class="badge app-kind">{{ record.get_kind_display }}</span>', verbose_name=_("kind")
    )
    title = tables.TemplateColumn(
        '<a class="fw-semibold" href="{% url \'ledger:meeting-detail\' record.pk %}">'
        "{{ record.title }}</a>",
        verbose_name=_("title"),
        attrs={"td": {"class": "text-break"}},
    )
    host_unit = tables.Column(
        accessor="host_unit__display_name",
        verbose_name=_("host unit"),
        order_by=("host_unit__path",),
    )
    chair = tables.Column(accessor="chair__name", verbose_name=_("chair"))
    attending = tables.TemplateColumn(
        "{{ record.attending_units.all|length }}",
        verbose_name=_("attending units"),
        orderable=False,
        attrs=NUMBER,
    )
    decision_count = tables.Column(verbose_name=_("decisions"), attrs=NUMBER)

    class Meta:
        model = ReviewMeeting
        fields = ("date", "kind", "title", "host_unit", "chair")
        sequence = ("date", "kind", "title", "host_unit", "chair", "attending", "decision_count")
        attrs = {"class": "table table-hover align-middle"}
        empty_text = _("No review meeting recorded yet.")
