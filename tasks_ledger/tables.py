"""django-tables2 tables of the ledger pages.

The item table sorts through the :class:`~tasks_ledger.filtersets.LedgerItemFilterSet`'s own
``ordering`` parameter (its column names are the filterset's ordering names), so the page,
the API and the Excel export read one query string the same way. Its rows are drawn by
:class:`tasks_ledger.item_rows.RowDrawer`, which an htmx update answers with too, so a row
looks the same whether the page drew it or a swap replaced it.
"""

from __future__ import annotations

import unicodedata
from functools import cached_property
from typing import Any

import django_tables2 as tables
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, QuerySet, Subquery
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_tables2.data import TableQuerysetData

from config.markup import escape, format_html_fast
from config.tables import KeysetTable

from .models import Evidence, Ledger, LedgerItem, ReviewMeeting

NUMBER = {"td": {"class": "text-end"}, "th": {"class": "text-end"}}

#: Items per page of the list; the liaison updating forty items on Friday sees them at once.
ITEMS_PER_PAGE = 50


class LedgerItemTable(KeysetTable):
    """Items of the caller's jurisdiction with their light and the in-row progress form; the
    header drawn in Python (:meth:`~config.tables.KeysetTable.draw_head`)."""

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

    #: The page's rows, drawn by :class:`tasks_ledger.item_rows.RowDrawer` (the template
    #: language took half of a province's page to draw them).
    drawn_rows: SafeString | str = ""


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


class KeyedPages(TableQuerysetData):
    """A queue's rows as its table pages them: a page is first found as keys, then read.

    The page's keys come from a narrow subquery in the table's order (the waiting rows'
    indexes alone), and the wide rows (item, unit, ledger, people) are joined for those
    keys only: asked for the wide rows at once, PostgreSQL read the whole row of every item
    of a county (6,757) to show 25 of its 132 waiting reports. One statement still. The
    length is the count the tab's badge already made (no second COUNT).
    """

    def __init__(
        self,
        data: QuerySet[Any],
        *,
        count: int,
        known: tuple[int, tuple[Any, ...], list[int]] | None = None,
    ) -> None:
        super().__init__(data)
        self._length = count
        self._known = known

    def __getitem__(self, key: Any) -> Any:
        """A slice (a page): the rows whose keys are that slice of the ordered keys. The
        keys ``known`` already (the page's start, the order they were read in and, from
        there, up to a page of keys: read with the tab's count, see
        ``views.capped_heads``) are used when the slice starts there in that order and
        they cover it: the rows are then read by id alone."""
        if isinstance(key, slice):
            if self._known is not None:
                start, order, ids = self._known
                stop = key.stop if key.stop is not None else start + len(ids)
                if (
                    key.start == start
                    and tuple(self.data.query.order_by) == order
                    and stop - start <= len(ids)
                ):
                    return self.data.filter(pk__in=ids[: stop - start])
            keys = self.data.values("pk")[key]
            return self.data.filter(pk__in=Subquery(keys))
        return super().__getitem__(key)


class SelectColumn(tables.Column):
    """The bulk checkbox: only on rows the caller may act on (``record.can_act``, the rule
    in SQL); its header selects the page's rows (shown by ledgers.js, inert without it)."""

    def __init__(self, **kwargs: Any) -> None:
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


def _cell(**kwargs: Any) -> tables.Column:
    """A column whose cells ``queue_table.html`` draws by the column's name: the header, the
    order and the cell's attributes are the column's."""
    kwargs.setdefault("orderable", False)
    kwargs.setdefault("empty_values", ())
    return tables.Column(**kwargs)


class QueueTable(tables.Table):
    """What every queue shows: the bulk checkbox, the item's number and title (apart), its
    unit, who asked and how long ago (sortable, newest first by default) and the decision.

    The page's rows are drawn by one template, ``tasks_ledger/includes/queue_table.html``,
    each cell by its column's name (a template per cell cost an office's page 150 template
    renders). Subclasses add the columns of their kind and name their decision: its URLs,
    labels and the anchor of the item page; the buttons show only where ``record.can_act``
    (the rule in SQL) says the POST would be accepted.
    """

    select = SelectColumn(verbose_name="")
    code = _cell(verbose_name=_("number"), attrs={"td": {"class": "app-col-code text-nowrap"}})
    title = _cell(verbose_name=_("item"), attrs={"td": {"class": "app-queue-item"}})
    unit = _cell(
        verbose_name=_("responsible unit"),
        orderable=True,
        order_by=("item__unit__path", "pk"),
        attrs=_td(_("responsible unit"), "text-break"),
    )
    requested = _cell(
        verbose_name=_("submitted by / at"),
        orderable=True,
        order_by=("waiting_since", "pk"),
        attrs=_td(_("submitted by / at"), "small text-nowrap"),
    )
    actions = _cell(verbose_name=_("actions"), attrs={"td": {"class": "app-queue-actions"}})

    #: Which queue this is (``?queue=``).
    queue = ""
    #: The item page's part a row's title opens.
    item_anchor = ""
    #: The decision: URL names taking the row's pk, the buttons' labels and look, the
    #: reason's label and its textarea's id prefix, and what a row says to someone who may
    #: not decide it. With ``confirm_text``, approving takes a second step saying what it
    #: does (a disclosure, no script needed).
    approve_url = ""
    refuse_url = ""
    approve_label: Any = _("Approve")
    approve_class = "btn-success"
    refuse_label: Any = _("Refuse")
    reason_label: Any = _("reason")
    field_prefix = ""
    waiting_text: Any = _("waiting for the campaign office")
    confirm_text: Any = ""
    confirm_label: Any = ""

    class Meta:
        template_name = "tasks_ledger/includes/queue_table.html"
        order_by_field = "ordering"
        attrs = {"class": "table table-sm align-middle mb-0 app-card-table app-queue"}
        row_attrs = {"id": lambda record: f"row-{record.pk}"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("order_by", ("-requested",))
        super().__init__(*args, **kwargs)

    @cached_property
    def cells(self) -> list[tuple[str, SafeString]]:
        """Each shown column's name and its cells' attributes, worked out once per table
        (django-tables2 works a column's attributes out anew for every cell; a queue's are
        the same on every row)."""
        return [(column.name, column.attrs["td"].as_html()) for column in self.columns]

    @cached_property
    def drawn_rows(self) -> SafeString:
        """The page's rows, each drawn whole in Python (:class:`QueueRows`; the request is
        the one ``RequestConfig`` configured the table with), as one string: through the
        template, 25 rows cost the page some 2,000 variable look-ups and filters."""
        draw = QueueRows(self, getattr(self, "request", None))
        return mark_safe("".join(draw.row(row) for row in self.paginated_rows))  # noqa: S308


#: A primary key no row has: a URL reversed with it gives every row's by replacing it.
_SOME_PK = 9_876_543_210
#: The decision's buttons (``{here}`` the page's address to come back to).
_APPROVE_CONFIRM = (
    '<details class="app-confirm"><summary class="btn btn-sm {approve_class}">'
    "{approve_label}…</summary>\n"
    '    <form method="post" action="{approve_url}" class="mt-1">{csrf}'
    '<input type="hidden" name="next" value="{here}">\n'
    '      <p class="small mb-1">{confirm_text}</p>\n'
    '      <button type="submit" class="btn btn-sm btn-success">{confirm_label}</button>'
    "</form></details>"
)
_APPROVE = (
    '<form method="post" action="{approve_url}">{csrf}'
    '<input type="hidden" name="next" value="{here}">\n'
    '    <button type="submit" class="btn btn-sm {approve_class}">{approve_label}</button>'
    "</form>"
)
_ACTIONS = (
    '\n<div class="d-flex flex-wrap gap-1 align-items-start">\n  {approve}\n'
    '  <details><summary class="btn btn-sm btn-outline-danger">{refuse_label}…</summary>\n'
    '    <form method="post" action="{refuse_url}" class="mt-1">{csrf}'
    '<input type="hidden" name="next" value="{here}">\n'
    '      <label class="visually-hidden" for="{field}">{reason_label}</label>\n'
    '      <textarea name="reason" id="{field}" class="form-control form-control-sm" rows="2"'
    ' required placeholder="{reason_label}"></textarea>\n'
    '      <button type="submit" class="btn btn-sm btn-danger mt-1">{refuse_label}</button>'
    "</form></details>\n</div>\n"
)
_EVIDENCE = (
    '<div class="small"><a class="app-evidence-link" href="{}">'
    '<i class="bi bi-paperclip" aria-hidden="true"></i>{}</a></div>'
)


def _chars(text: str, length: int) -> str:
    """``Truncator(text).chars(length)``: a text short enough comes back as it would (its
    NFC form) without the truncator's walk over each character and its translated
    ellipsis, worked out anew for every call."""
    normal = unicodedata.normalize("NFC", text)
    if len(normal) <= length:
        return normal
    return Truncator(text).chars(length)


def with_evidence(rows: QuerySet[Any], field: str) -> QuerySet[Any]:
    """``rows`` with their files' ids and names (``evidence_ids``, ``evidence_names``, newest
    first, as ``record.evidence.all()`` lists them) read in the same statement, one array
    subquery each through the evidence's index on its row: :class:`QueueRows` draws them.
    ``field`` is the evidence's key to the rows (``signoff``, ``report``)."""
    files = Evidence.objects.filter(**{field: OuterRef("pk")}).order_by("-uploaded_at", "-pk")
    return rows.prefetch_related(None).annotate(
        evidence_ids=ArraySubquery(files.values("pk")),
        evidence_names=ArraySubquery(files.values("original_name")),
    )


class QueueRows:
    """Draws a queue table's rows as ``queue_table.html`` drew them, the same markup: what
    every row says alike (labels, URL patterns, the CSRF field, the status badges) is worked
    out once per page, each row's values are escaped and joined with
    :func:`config.markup.format_html_fast`."""

    def __init__(self, table: QueueTable, request: Any | None) -> None:
        from django.middleware.csrf import get_token
        from django.urls import reverse

        self.table = table
        # Without a request (the bulk confirmation's table) no row has buttons to post.
        self.here = request.get_full_path() if request else ""
        self.csrf = (
            format_html_fast(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
            )
            if request
            else ""
        )
        some = str(_SOME_PK)
        self.item_url = reverse("ledger:item-detail", args=[_SOME_PK])
        self.evidence_url = reverse("ledger:evidence", args=[_SOME_PK])
        self.approve_url = reverse(table.approve_url, args=[_SOME_PK]) if table.approve_url else ""
        self.refuse_url = reverse(table.refuse_url, args=[_SOME_PK]) if table.refuse_url else ""
        self.some = some
        self.select_label = gettext("Select %(code)s %(title)s")
        self.no_evidence = gettext("no evidence attached")
        self.now = gettext("now")
        self.lowering = gettext("reason for lowering progress")
        self.waiting = format_html_fast(
            '<span class="small text-body-secondary">{}</span>', table.waiting_text
        )
        self.badges: dict[str, str] = {}
        self.labels = {
            name: str(getattr(table, name))
            for name in (
                "approve_label",
                "refuse_label",
                "reason_label",
                "confirm_text",
                "confirm_label",
            )
        }

    def badge(self, status: str) -> str:
        """The item status's badge, its template rendered once per status a page shows."""
        if status not in self.badges:
            self.badges[status] = render_to_string(
                "tasks_ledger/includes/status_badge.html", {"status": status}
            )
        return self.badges[status]

    def _url(self, pattern: str, pk: int) -> str:
        return pattern.replace(self.some, str(pk))

    def row(self, row: Any) -> SafeString:
        """One ``<tr>``: its attributes as django-tables2 gives them, its cells by column."""
        record = row.record
        cells = "".join(
            f"\n<td {td}>{self.cell(name, record)}</td>" for name, td in self.table.cells
        )
        # The queue tables' row attributes (Meta.row_attrs: the id) and django-tables2's
        # even or odd class, as ``row.attrs.as_html()`` writes them (the id a number).
        attrs = f'id="row-{record.pk}" class="{row.get_even_odd_css_class()}"'
        return mark_safe(f"\n<tr {attrs}>{cells}\n</tr>\n")  # noqa: S308

    def evidence(self, record: Any, *, empty: bool) -> str:
        """The record's files, linked; "no evidence attached" when ``empty`` says so."""
        ids = getattr(record, "evidence_ids", None)
        if ids is None:  # rows not read with_evidence (the bulk confirmation's): prefetched
            shown = [(file.pk, file.original_name) for file in record.evidence.all()]
        else:
            shown = list(zip(ids, record.evidence_names, strict=True))
        files = [
            format_html_fast(_EVIDENCE, self._url(self.evidence_url, pk), name)
            for pk, name in shown
        ]
        if not files and empty:
            return format_html_fast(
                '<div class="small text-body-secondary">{}</div>', self.no_evidence
            )
        return "".join(files)

    def cell(self, name: str, record: Any) -> str:
        """A cell's content, as the template's case for ``name`` wrote it."""
        item = record.item
        if name == "select":
            if not record.can_act:
                return ""
            label = self.select_label % {"code": escape(item.code), "title": escape(item.title)}
            return format_html_fast(
                '<input type="checkbox" class="form-check-input" name="select" value="{}"'
                ' form="queue-bulk" data-select-row\n       aria-label="{}">\n',
                record.pk,
                mark_safe(label),  # noqa: S308 - the values escaped above
            )
        if name == "code":
            return escape(item.code)
        if name == "title":
            return format_html_fast(
                '\n<a href="{}{}" class="fw-semibold">{}</a>\n'
                '<div class="small text-body-secondary">{}</div>\n',
                self._url(self.item_url, item.pk),
                self.table.item_anchor,
                item.title,
                item.ledger.title,
            )
        if name == "unit":
            return escape(item.unit.display_name)
        if name == "requested":
            who = getattr(record, "requested_by", None) or getattr(record, "reporter", None)
            return format_html_fast(
                '\n{}\n<div class="text-body-secondary">{}</div>\n',
                who or "",
                timezone.localtime(record.waiting_since).strftime("%Y-%m-%d %H:%M"),
            )
        if name == "note":
            return format_html_fast(
                '\n<div class="small text-break app-queue-text">{}</div>\n{}\n',
                _chars(record.note, 120),
                mark_safe(self.evidence(record, empty=True)),  # noqa: S308 - drawn escaped
            )
        if name == "deadline":
            return format_html_fast(
                "\n{} → <strong>{}</strong>\n",
                _day(record.old_deadline),
                _day(record.new_deadline),
            )
        if name == "reason":
            return format_html_fast("\n{}\n", _chars(record.reason, 120))
        if name == "change":
            return format_html_fast(
                '\n<span class="badge text-bg-light border">{}</span>\n'
                '<div class="small text-body-secondary">{} {}</div>\n',
                record.get_change_display(),
                self.now,
                mark_safe(self.badge(item.status)),  # noqa: S308 - a template's
            )
        if name == "percent":
            return format_html_fast(
                "\n{}% → <strong>{}%</strong>\n", record.previous_percent, record.percent
            )
        if name == "text":
            lowered = ""
            if record.lower_reason:
                lowered = format_html_fast(
                    '<div class="small text-warning-emphasis">{}: {}</div>',
                    self.lowering,
                    _chars(record.lower_reason, 80),
                )
            return format_html_fast(
                '\n<div class="small text-break app-queue-text">{}</div>\n{}\n{}\n',
                _chars(record.text, 120),
                lowered,
                mark_safe(self.evidence(record, empty=False)),  # noqa: S308 - drawn escaped
            )
        if name == "actions":
            return self.actions(record)
        return ""

    def actions(self, record: Any) -> str:
        """The decision's buttons, or what the row says to someone who may not decide it."""
        if not record.can_act:
            return self.waiting + "\n"
        table = self.table
        words = {
            "csrf": self.csrf,
            "here": self.here,
            "approve_url": self._url(self.approve_url, record.pk),
            "approve_class": table.approve_class,
            **self.labels,
        }
        approve = format_html_fast(_APPROVE_CONFIRM if table.confirm_text else _APPROVE, **words)
        return format_html_fast(
            _ACTIONS,
            approve=approve,
            refuse_url=self._url(self.refuse_url, record.pk),
            field=f"{table.field_prefix}-{record.pk}",
            **words,
        )


def _day(value: Any) -> str:
    """A date as the template's ``date:"Y-m-d"`` writes it (nothing for none)."""
    return value.strftime("%Y-%m-%d") if value else ""


class SignOffQueueTable(QueueTable):
    """Sign-off requests: the completion report with its evidence files."""

    queue = "signoff"
    item_anchor = "#signoff"
    approve_url = "ledger:signoff-approve"
    refuse_url = "ledger:signoff-return"
    approve_label = _("Verify")
    refuse_label = _("Return")
    reason_label = _("reason for return")
    field_prefix = "sr"
    waiting_text = _("waiting for the verifier")
    confirm_text = _("Verifying signs the item off at once; it cannot be undone from this page.")
    confirm_label = _("Confirm: verify")
    note = _cell(
        verbose_name=_("completion report and evidence"),
        attrs=_td(_("completion report and evidence")),
    )

    class Meta(QueueTable.Meta):
        sequence = ("select", "code", "title", "unit", "note", "requested", "actions")
        empty_text = _("No sign-off request is waiting.")


class ExtensionQueueTable(QueueTable):
    """Extension requests: the deadline from and to (with the year), and the reason."""

    queue = "extension"
    item_anchor = "#extension"
    approve_url = "ledger:extension-approve"
    refuse_url = "ledger:extension-refuse"
    field_prefix = "er"
    deadline = _cell(
        verbose_name=_("deadline"),
        orderable=True,
        order_by=("new_deadline", "pk"),
        attrs=_td(_("deadline"), "text-nowrap"),
    )
    reason = _cell(verbose_name=_("reason"), attrs=_td(_("reason"), "small text-break"))

    class Meta(QueueTable.Meta):
        sequence = ("select", "code", "title", "unit", "deadline", "reason", "requested", "actions")
        empty_text = _("No extension request is waiting.")


class StatusChangeQueueTable(QueueTable):
    """Suspension, cancellation and resumption requests: what is asked, the item's status
    now, and the reason."""

    queue = "status"
    item_anchor = "#status"
    approve_url = "ledger:status-request-approve"
    refuse_url = "ledger:status-request-refuse"
    field_prefix = "cr"
    change = _cell(verbose_name=_("asked for"), attrs=_td(_("asked for"), "text-nowrap"))
    reason = _cell(verbose_name=_("reason"), attrs=_td(_("reason"), "small text-break"))

    class Meta(QueueTable.Meta):
        sequence = ("select", "code", "title", "unit", "change", "reason", "requested", "actions")
        empty_text = _("No suspension or cancellation request is waiting.")


class ProgressQueueTable(QueueTable):
    """Progress reports: the accepted and the reported figure, what was done, evidence."""

    queue = "progress"
    item_anchor = "#timeline"
    approve_url = "ledger:report-accept"
    refuse_url = "ledger:report-return"
    approve_label = _("Accept")
    approve_class = "btn-outline-success"
    refuse_label = _("Return")
    reason_label = _("reason for return")
    field_prefix = "rr"
    percent = _cell(
        verbose_name=pgettext_lazy("percent done", "progress"),
        attrs=_td(pgettext_lazy("percent done", "progress"), "text-nowrap"),
    )
    text = _cell(verbose_name=_("what was done"), attrs=_td(_("what was done")))

    class Meta(QueueTable.Meta):
        sequence = ("select", "code", "title", "unit", "percent", "text", "requested", "actions")
        empty_text = _("No progress report is waiting.")
