"""django-tables2 tables of the campaign pages."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import Campaign, ResponsibilityChain

NUMBER = {"td": {"class": "text-end"}, "th": {"class": "text-end"}}


class CampaignTable(tables.Table):
    """Campaigns the user takes part in, with the counts from ``campaign_overview_list``."""

    name = tables.LinkColumn(
        "campaign:detail", args=[tables.A("pk")], attrs={"td": {"class": "text-break fw-semibold"}}
    )
    period = tables.TemplateColumn(
        "{{ record.start_date|date:'Y-m-d' }} — {{ record.end_date|date:'Y-m-d' }}",
        verbose_name=_("period"),
        order_by=("start_date",),
    )
    owner_unit = tables.Column(
        accessor="owner_unit__display_name",
        order_by=("owner_unit__path",),
        verbose_name=_("owner unit"),
    )
    status = tables.TemplateColumn(
        '<span class="badge app-status app-status-{{ record.status }}">'
        "{{ record.get_status_display }}</span>"
    )
    task_force_count = tables.Column(verbose_name=_("task forces"), attrs=NUMBER)
    supervision_group_count = tables.Column(verbose_name=_("supervision groups"), attrs=NUMBER)
    chain_count = tables.Column(verbose_name=_("responsibility chains"), attrs=NUMBER)

    class Meta:
        model = Campaign
        fields = ("name", "year", "period", "owner_unit", "status")
        sequence = (
            "name",
            "year",
            "period",
            "owner_unit",
            "status",
            "task_force_count",
            "supervision_group_count",
            "chain_count",
        )
        attrs = {"class": "table table-hover align-middle"}
        empty_text = _("You take part in no campaign yet.")


class ChainTable(tables.Table):
    """Responsibility chains at a glance: subject, task force, unit and the chain in one line."""

    subject = tables.LinkColumn(
        "campaign:chain-detail",
        args=[tables.A("pk")],
        # The table sits in an hx-boost area (pages, sorting); opening a chain is a real page.
        attrs={"td": {"class": "text-break"}, "a": {"hx-boost": "false"}},
    )
    task_force = tables.Column(
        accessor="task_force__name",
        order_by=("task_force__sort_order", "task_force__name"),
        verbose_name=_("task force"),
        default="—",
        attrs={"td": {"class": "text-break"}},
    )
    unit = tables.Column(
        accessor="unit__display_name",
        order_by=("unit__path",),
        verbose_name=_("unit"),
        attrs={"td": {"class": "text-nowrap"}},
    )
    line = tables.Column(
        accessor="as_line",
        verbose_name=_("responsibility chain"),
        orderable=False,
        attrs={"td": {"class": "small app-chain-line"}},
    )

    class Meta:
        model = ResponsibilityChain
        fields = ("subject", "task_force", "unit")
        sequence = ("subject", "task_force", "unit", "line")
        attrs = {"class": "table table-sm table-hover align-middle"}
        empty_text = _("No responsibility chain to show.")


#: Columns a phone leaves out; the item's cell repeats them in a line of its own there.
WIDE_ONLY = "d-none d-md-table-cell"


class ChainItemTable(tables.Table):
    """The ledger items a chain carries, as :func:`tasks_ledger.selectors.ledger_items` gives
    them (scoped to the caller, light annotated), in the ledger's own order."""

    title = tables.TemplateColumn(
        template_name="campaign/includes/chain_item_title.html",
        verbose_name=_("item"),
        attrs={"td": {"class": "text-break app-chain-item"}},
    )
    unit = tables.Column(
        accessor="unit__display_name",
        verbose_name=_("responsible unit"),
        attrs={"th": {"class": WIDE_ONLY}, "td": {"class": f"{WIDE_ONLY} text-break"}},
    )
    deadline = tables.DateColumn(
        verbose_name=_("deadline"),
        format="Y-m-d",
        default=_("long-term"),
        attrs={"th": {"class": WIDE_ONLY}, "td": {"class": f"{WIDE_ONLY} text-nowrap"}},
    )
    light = tables.TemplateColumn(
        '{% include "tasks_ledger/includes/light_badge.html" with light=record.light %}',
        verbose_name=_("light"),
        attrs={"th": {"class": WIDE_ONLY}, "td": {"class": WIDE_ONLY}},
    )
    progress = tables.TemplateColumn(
        '{% include "tasks_ledger/includes/progress_bar.html" with value=record.progress %}',
        verbose_name=pgettext_lazy("percent done", "progress"),
        attrs={"td": {"class": "app-progress-cell"}},
    )

    class Meta:
        orderable = False
        attrs = {"class": "table table-sm align-middle mb-0"}
        empty_text = _("No ledger item on this chain lies within your jurisdiction.")
