"""django-tables2 tables of the accounts pages."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from .models import Membership


class HistoryTable(tables.Table):
    """Events of a record and of the records pointing at it, newest first (not sortable)."""

    when = tables.DateTimeColumn(verbose_name=_("time"), format="Y-m-d H:i:s")
    actor = tables.Column(verbose_name=_("by"))
    action = tables.Column(verbose_name=_("action"))
    model = tables.Column(verbose_name=_("record"))
    object_label = tables.Column(verbose_name=_("name"), attrs={"td": {"class": "text-break"}})
    changes = tables.TemplateColumn(
        template_name="accounts/includes/history_changes.html", verbose_name=_("what changed")
    )
    source = tables.Column(
        verbose_name=_("source"), attrs={"td": {"class": "small text-body-secondary text-break"}}
    )

    class Meta:
        orderable = False
        attrs = {"class": "table table-sm table-hover align-middle app-history"}
        empty_text = _("No changes recorded yet.")


class MembershipTable(tables.Table):
    """People holding posts in one unit."""

    user = tables.Column(verbose_name=_("real name"), accessor="user__name")
    post = tables.Column(verbose_name=_("post"))
    title = tables.Column(verbose_name=_("job title"), default="—")

    class Meta:
        model = Membership
        fields = ("user", "post", "title")
        orderable = False
        attrs = {"class": "table table-sm table-hover align-middle"}
        empty_text = _("Nobody holds a post in this unit yet.")
