"""django-tables2 tables of the ledger pages.

The item table sorts through the :class:`~tasks_ledger.filtersets.LedgerItemFilterSet`'s own
``ordering`` parameter (its column names are the filterset's ordering names), so the page,
the API and the Excel export read one query string the same way. Its rows are rendered by
``tasks_ledger/includes/item_row.html``, the template an htmx update answers with, so a row
looks the same whether the page drew it or a swap replaced it.
"""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_tables2.utils import OrderByTuple

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

    #: The sort menu of narrow screens, where the rows are cards without column headers:
    #: the filterset's ``ordering`` values the headers send, "" for the natural order.
    PHONE_ORDERS = (
        ("", _("default order")),
        ("-light", _("red first")),
        ("deadline", _("earliest deadline first")),
        ("progress", _("least progress first")),
        ("unit", _("by responsible unit")),
    )

    class Meta:
        model = LedgerItem
        fields = ("code", "title", "unit", "chain", "deadline", "light", "status", "progress")
        template_name = "tasks_ledger/includes/item_table.html"
        # Sorting is the filterset's: ?ordering=deadline, ?ordering=-light ...
        order_by_field = "ordering"
        attrs = {"class": "table table-sm align-middle app-items mb-0"}
        empty_text = _("No items match these filters.")

    #: The keyset page shown (:class:`tasks_ledger.keyset.KeysetPage`): its cursors draw the
    #: previous and next links in place of page numbers.
    keyset: Any = None

    def show_order(self, ordering: Any) -> None:
        """Mark the columns sorted by the filterset's ``ordering`` (arrows and the next
        click's direction) without sorting the rows: they come from the keyset query in
        exactly that order, with the list's natural order among ties."""
        terms = [ordering] if isinstance(ordering, str) else list(ordering or ())
        valid = [
            term
            for term in terms
            if term
            and term.lstrip("-") in self.columns
            and self.columns[term.lstrip("-")].orderable
        ]
        self._order_by = OrderByTuple(valid)


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


# --- the office's queues ---------------------------------------------------------------------

#: Rows of a queue per page.
QUEUE_PER_PAGE = 25
QUEUE_CELLS = "tasks_ledger/includes/queue_cells.html"


class SelectColumn(tables.TemplateColumn):
    """The bulk checkbox: only on rows the caller may act on (``record.can_act``, the rule
    in SQL); its header selects the page's rows (shown by ledgers.js, inert without it)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("template_name", "tasks_ledger/includes/queue_select.html")
        kwargs.setdefault("orderable", False)
        kwargs.setdefault(
            "attrs", {"th": {"class": "app-col-select"}, "td": {"class": "app-col-select"}}
        )
        super().__init__(**kwargs)

    @property
    def header(self) -> SafeString:
        """A "select every row of this page" box, hidden until the script can drive it."""
        return format_html(
            '<input type="checkbox" class="form-check-input" data-select-all hidden '
            'aria-label="{}">',
            gettext("Select every row on this page"),
        )


def _td(label: Any, css: str = "") -> dict[str, Any]:
    """A cell's attributes: its classes and, for the stacked rows of a phone, its column's
    name (``data-label``, shown before the value by ledgers.css)."""
    return {"td": {"class": css, "data-label": label}}


def _cell(part: str, **kwargs: Any) -> tables.TemplateColumn:
    """A column drawn by one named part of ``queue_cells.html``, which reads ``part`` and
    the table's ``queue`` from its context."""
    kwargs.setdefault("orderable", False)
    return tables.TemplateColumn(
        template_name=QUEUE_CELLS,
        extra_context=lambda table: {"part": part, "queue": table.queue},
        **kwargs,
    )


class QueueTable(tables.Table):
    """What every queue shows: the bulk checkbox, the item's number and title (apart), its
    unit, who asked and how long ago (sortable, newest first by default) and the decision.

    Subclasses add the columns of their kind and name their decision URLs; the actions are
    drawn by ``tasks_ledger/includes/decision_actions.html`` with ``may`` set from
    ``record.can_act``, so a row shows no button whose POST the rule refuses.
    """

    select = SelectColumn(verbose_name="")
    code = tables.Column(
        accessor="item__code",
        verbose_name=_("number"),
        orderable=False,
        attrs={"td": {"class": "app-col-code text-nowrap"}},
    )
    title = _cell("item", verbose_name=_("item"), attrs={"td": {"class": "app-queue-item"}})
    unit = tables.Column(
        accessor="item__unit__display_name",
        verbose_name=_("responsible unit"),
        order_by=("item__unit__path", "pk"),
        attrs=_td(_("responsible unit"), "text-break"),
    )
    requested = _cell(
        "requested",
        verbose_name=_("submitted by / at"),
        orderable=True,
        order_by=("waiting_since", "pk"),
        attrs=_td(_("submitted by / at"), "small text-nowrap"),
    )
    actions = _cell(
        "actions", verbose_name=_("actions"), attrs={"td": {"class": "app-queue-actions"}}
    )

    #: Which queue this is (``?queue=``), for the cells' decision URLs and labels.
    queue = ""

    class Meta:
        template_name = "tasks_ledger/includes/queue_table.html"
        order_by_field = "ordering"
        attrs = {"class": "table table-sm align-middle mb-0 app-card-table app-queue"}
        row_attrs = {"id": lambda record: f"row-{record.pk}"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("order_by", ("-requested",))
        super().__init__(*args, **kwargs)


class SignOffQueueTable(QueueTable):
    """Sign-off requests: the completion report with its evidence files."""

    queue = "signoff"
    note = _cell(
        "signoff",
        verbose_name=_("completion report and evidence"),
        attrs=_td(_("completion report and evidence")),
    )

    class Meta(QueueTable.Meta):
        sequence = ("select", "code", "title", "unit", "note", "requested", "actions")
        empty_text = _("No sign-off request is waiting.")


class ExtensionQueueTable(QueueTable):
    """Extension requests: the deadline from and to (with the year), and the reason."""

    queue = "extension"
    deadline = _cell(
        "extension",
        verbose_name=_("deadline"),
        orderable=True,
        order_by=("new_deadline", "pk"),
        attrs=_td(_("deadline"), "text-nowrap"),
    )
    reason = _cell("reason", verbose_name=_("reason"), attrs=_td(_("reason"), "small text-break"))

    class Meta(QueueTable.Meta):
        sequence = ("select", "code", "title", "unit", "deadline", "reason", "requested", "actions")
        empty_text = _("No extension request is waiting.")


class StatusChangeQueueTable(QueueTable):
    """Suspension, cancellation and resumption requests: what is asked, the item's status
    now, and the reason."""

    queue = "status"
    change = _cell("change", verbose_name=_("asked for"), attrs=_td(_("asked for"), "text-nowrap"))
    reason = _cell("reason", verbose_name=_("reason"), attrs=_td(_("reason"), "small text-break"))

    class Meta(QueueTable.Meta):
        sequence = ("select", "code", "title", "unit", "change", "reason", "requested", "actions")
        empty_text = _("No suspension or cancellation request is waiting.")


class ProgressQueueTable(QueueTable):
    """Progress reports: the accepted and the reported figure, what was done, evidence."""

    queue = "progress"
    percent = _cell(
        "percent",
        verbose_name=pgettext_lazy("percent done", "progress"),
        attrs=_td(pgettext_lazy("percent done", "progress"), "text-nowrap"),
    )
    text = _cell("report", verbose_name=_("what was done"), attrs=_td(_("what was done")))

    class Meta(QueueTable.Meta):
        sequence = ("select", "code", "title", "unit", "percent", "text", "requested", "actions")
        empty_text = _("No progress report is waiting.")
