"""Tables of the assessment office's pages: a round's deductions (扣分登记)."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from .models import Deduction

#: Deductions per page.
DEDUCTIONS_PER_PAGE = 50


class DeductionTable(tables.Table):
    """A round's deductions: when, unit, indicator, points, origin, reason, status, evidence."""

    recorded_at = tables.DateTimeColumn(
        format="Y-m-d H:i", verbose_name=_("recorded at"), attrs={"td": {"class": "text-nowrap"}}
    )
    unit = tables.Column(
        accessor="unit__name",
        verbose_name=_("unit"),
        order_by="unit__path",
        attrs={"td": {"class": "text-nowrap"}},
    )
    indicator = tables.TemplateColumn(
        "{{ record.indicator.code }} {{ record.indicator.name }}",
        verbose_name=_("indicator"),
        order_by=("indicator__code",),
    )
    points = tables.TemplateColumn(
        '<span class="text-danger fw-semibold text-nowrap">−{{ record.points }}</span>',
        verbose_name=_("points"),
    )
    origin = tables.TemplateColumn(
        template_name="assessments/office_deduction_origin_cell.html", verbose_name=_("origin")
    )
    reason = tables.TemplateColumn(
        "<a href=\"{% url 'assessments:deduction-detail' record.pk %}\">"
        "{{ record.reason|truncatechars:80 }}</a>",
        verbose_name=_("reason"),
        orderable=False,
        attrs={"td": {"class": "text-break", "style": "min-width: 12rem"}},
    )
    status = tables.TemplateColumn(
        template_name="assessments/office_deduction_status_cell.html", verbose_name=_("status")
    )
    evidence = tables.TemplateColumn(
        template_name="assessments/office_evidence_cell.html",
        verbose_name=_("evidence"),
        orderable=False,
        accessor="pk",
    )

    class Meta:
        model = Deduction
        fields = (
            "recorded_at",
            "unit",
            "indicator",
            "points",
            "origin",
            "reason",
            "status",
            "evidence",
        )
        order_by_field = "ordering"
        attrs = {"class": "table table-sm table-hover align-middle mb-0"}
        empty_text = _("No deductions match these filters.")
