"""The registry's rows and rule at a small jurisdiction: the rule with the units' ids in
place of their paths (selectors.by_unit_ids) holds the same notices as the rule itself, and
the rows read by one statement (selectors.notice_rows) draw the same cells as a notice does
through the table's helpers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db.models import Q
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils.html import escape

from accounts.jurisdiction import jurisdiction_for
from accounts.models import Post, Unit, User
from accounts.tests.factories import MembershipFactory
from tests.table_head import HEAD_CELLS

from .. import filtersets, rules, selectors
from ..models import Notice, NoticePerson, NoticeStatus
from ..tables import NoticeCells, NoticeTable, deadline_cell, kind_badge, number_cell, status_badge
from .factories import make_notice

pytestmark = pytest.mark.django_db


def _every_state(org: Any) -> list[Notice]:
    """Notices in every state to units inside and outside groups' and offices' reach."""
    units = [org.county_a, org.county_a_dept, org.township_a, org.county_b, org.city]
    return [
        make_notice(org, unit, state)
        for unit in units
        for state in (NoticeStatus.DRAFT, NoticeStatus.ISSUED, NoticeStatus.CLOSED)
    ]


def test_rule_by_unit_ids_holds_the_same_notices(org: Any) -> None:
    """GIVEN notices in every state to units of several subtrees, one naming 乙县's liaison
    WHEN the rule is written with every unit's id in place of the units' paths THEN each
    user sees the same notices as by the rule itself, and no unit is joined for it."""
    notices = _every_state(org)
    NoticePerson.objects.create(notice=notices[-1], user=org.outsider)
    users = [org.inside, org.outsider, org.above, org.official, org.assessor, org.supervisor]
    for user in users:
        j = jurisdiction_for(user)
        units = list(Unit.objects.filter(j.q("")))
        expected = set(Notice.objects.filter(rules.viewable_notices_q(user)).values_list("pk"))
        listed = selectors.notice_list(user=user, units=units).values_list("pk")
        assert set(listed) == expected, user.username
        assert "accounts_unit" not in str(listed.query), user.username


def test_rule_keeps_paths_outside_the_units_given(org: Any) -> None:
    """GIVEN a rule on a path that lies outside the roots given WHEN it is written by ids
    THEN that path is kept as it is (the units given need not hold its units)."""
    rule = Q(target_unit__path__startswith=org.county_b.path)
    rewritten = selectors.by_unit_ids(rule, [], roots=(org.county_a.path,))
    assert rewritten == rule


def test_rows_draw_the_cells_of_the_notices(org: Any) -> None:
    """GIVEN notices drafted, issued and overdue WHEN the registry reads their rows THEN each
    row's cells are those the table's helpers draw from the notice itself."""
    notices = [
        make_notice(org, org.county_a, NoticeStatus.DRAFT),
        make_notice(org, org.county_a, NoticeStatus.ISSUED, subject_title="<甲>&\"'"),
        make_notice(org, org.township_a, NoticeStatus.REPLIED),
    ]
    today = dt.date(2030, 1, 1)  # every deadline past: the issued one is overdue
    rows = selectors.notice_rows(ids=[n.pk for n in notices], today=today)
    assert [row.pk for row in rows] == [n.pk for n in notices]
    overdue = selectors.notice_list(user=org.superuser, today=today).filter(
        pk__in=[n.pk for n in notices]
    )
    by_pk = {notice.pk: notice for notice in overdue}
    for row in rows:
        notice = by_pk[row.pk]
        url = reverse("accountability:notice-detail", args=[notice.pk])
        cells = NoticeCells.of(row)
        assert cells.url == url
        for part in (
            number_cell(notice, url),
            kind_badge(notice),
            status_badge(notice),
            deadline_cell(notice),
        ):
            assert part in cells.tr and part in cells.card
        subject = f'href="{url}">{escape(notice.subject)}</a>'
        assert subject in cells.tr and subject in cells.card
    assert rows[1].overdue and not rows[0].overdue
    assert "&lt;甲&gt;&amp;&quot;&#x27;" in NoticeCells.of(rows[1]).tr


def test_filters_build_unit_and_group_querysets_only_for_a_value(
    org: Any, monkeypatch: Any
) -> None:
    """GIVEN the registry's filters WHEN no unit or group is chosen THEN neither queryset is
    built; WHEN one outside the caller's sight is chosen THEN it is refused as before."""
    built: list[str] = []
    real = filtersets._groups_of

    def counted(user: Any) -> Any:
        built.append("groups")
        return real(user)

    monkeypatch.setattr(filtersets, "_groups_of", counted)
    request = RequestFactory().get("/")
    request.user = org.inside
    plain = filtersets.NoticeFilterSet({}, queryset=Notice.objects.none(), request=request)
    assert plain.is_valid() and built == []
    away = {"target_unit": org.county_b.pk}
    chosen = filtersets.NoticeFilterSet(away, queryset=Notice.objects.none(), request=request)
    assert not chosen.is_valid() and "target_unit" in chosen.form.errors
    home = {"target_unit": org.township_a.pk, "group": org.group_a.pk}
    chosen = filtersets.NoticeFilterSet(home, queryset=Notice.objects.none(), request=request)
    assert chosen.is_valid(), chosen.form.errors
    assert chosen.form.cleaned_data["target_unit"] == org.township_a and built == ["groups"]


def test_registry_notices_follow_posts_and_groups(org: Any) -> None:
    """GIVEN the registry's notices built once for 乙县's liaison WHEN they join group A,
    then take a post in 甲县 THEN each change shows at once: the groups are read when the
    query runs, a new jurisdiction is another key."""
    drafted = make_notice(org, org.county_a, NoticeStatus.DRAFT)  # group A's, unissued
    issued = make_notice(org, org.county_a_dept, NoticeStatus.ISSUED)
    user = User.objects.get(pk=org.outsider.pk)

    def seen() -> set[int]:
        fresh = User.objects.get(pk=user.pk)  # a new request's user
        return set(selectors.registry_notices(user=fresh).values_list("pk", flat=True))

    assert seen() == set()
    org.group_a.members.add(user)
    assert seen() == {drafted.pk, issued.pk}
    org.group_a.members.remove(user)
    MembershipFactory(user=user, unit=org.county_a, post=Post.LIAISON)
    assert seen() == {issued.pk}


#: The registry's header as django-tables2 drew it.
OLD_HEAD = "{% load django_tables2 %}" + HEAD_CELLS


@pytest.mark.parametrize(
    "query", ["", "ordering=kind", "ordering=-reply_deadline&status=issued&after=abc&q=%3C%26"]
)
def test_head_is_drawn_as_django_tables2_drew_it(query: str) -> None:
    """GIVEN a query string (an order, filters, a cursor) WHEN the registry's header is drawn
    in Python THEN it is the markup django-tables2's template tags drew, byte for byte."""
    request = RequestFactory().get("/supervision/notices/?" + query)
    table = NoticeTable([])
    table.show_order(request.GET.get("ordering") or ())
    context = Context({"table": table, "request": request})
    assert table.draw_head(request.GET) == Template(OLD_HEAD).render(context)


def test_reach_reads_each_callers_groups_and_named_notices(org: Any) -> None:
    """GIVEN a group member and a user named on a notice WHEN the registry reads their reach
    through the statement compiled once THEN each gets their own groups and notices."""
    notice = make_notice(org, org.county_b)
    NoticePerson.objects.create(notice=notice, user=org.outsider)
    assert selectors.registry_reach(user=org.supervisor) == selectors.Reach(
        groups=frozenset({org.group_a.pk}), named=frozenset()
    )
    assert selectors.registry_reach(user=org.outsider) == selectors.Reach(
        groups=frozenset(), named=frozenset({notice.pk})
    )
