"""django-tables2 tables of the campaign pages."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

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
