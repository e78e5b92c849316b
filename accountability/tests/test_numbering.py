"""Official numbers: a sequence per kind and year, in a configurable format, never reused,
and distinct when two people issue at the same moment."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from accountability import services
from accountability.models import Notice, NoticeCounter, NoticeKind

from .conftest import DEADLINE, TODAY, Notices

pytestmark = pytest.mark.django_db


def _matter(notices: Notices, n: int) -> dict[str, object]:
    return {"target_unit": notices.org.county_a, "subject_title": f"甲县问题{n}"}


def test_each_kind_counts_on_its_own(notices: Notices) -> None:
    numbers = [notices.issued(**_matter(notices, n)).number for n in range(3)]
    order = notices.issued(NoticeKind.SUPERVISION, **_matter(notices, 9))
    warning = notices.issued(NoticeKind.WARNING, **_matter(notices, 10))
    assert numbers == ["提示〔2022〕1号", "提示〔2022〕2号", "提示〔2022〕3号"]
    assert (order.number, warning.number) == ("督办〔2022〕1号", "警示〔2022〕1号")
    assert (order.number_year, order.sequence) == (2022, 1)


def test_a_new_year_starts_again_at_one(notices: Notices) -> None:
    org = notices.org
    notices.issued(**_matter(notices, 1))
    late = notices.draft(reply_deadline=dt.date(2023, 1, 20), **_matter(notices, 2))
    late = services.notice_issue(notice=late, actor=org.supervisor, today=dt.date(2023, 1, 4))
    assert late.number == "提示〔2023〕1号"


def test_the_format_comes_from_settings(notices: Notices, settings) -> None:
    settings.NOTICE_NUMBER_FORMATS = {NoticeKind.REMINDER: "甲督提〔{year}〕第{n:03d}号"}
    assert notices.issued(**_matter(notices, 1)).number == "甲督提〔2022〕第001号"
    order = notices.issued(NoticeKind.SUPERVISION, **_matter(notices, 2))
    assert order.number == "督办〔2022〕1号"  # kinds not overridden keep the default


def test_numbers_are_never_reused(notices: Notices) -> None:
    """GIVEN notice 1 issued and deleted, notice 2 returned and closed WHEN more are issued
    THEN they get 3 and 4: a number once given is never given again."""
    org = notices.org
    first = notices.issued(**_matter(notices, 1))
    second = notices.issued(**_matter(notices, 2))
    Notice.objects.filter(pk=first.pk).delete()
    second = services.notice_sign_for(notice=second, actor=org.inside)
    second = services.notice_reply(notice=second, actor=org.inside, text="已整改")
    services.notice_return(notice=second, actor=org.supervisor, reason="再改")
    assert notices.issued(**_matter(notices, 3)).sequence == 3
    assert notices.issued(**_matter(notices, 4)).sequence == 4
    assert NoticeCounter.objects.get(kind=NoticeKind.REMINDER, year=2022).last == 4


def test_a_draft_has_no_number_until_issued(notices: Notices) -> None:
    draft = notices.draft()
    assert (draft.number, draft.sequence) == ("", None)
    assert not NoticeCounter.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_people_issuing_at_the_same_moment_get_distinct_numbers(notices: Notices) -> None:
    """GIVEN two reminders issued on two real connections at once (the first holds its
    transaction open after taking its number) WHEN the second issues THEN it waits for the
    first and takes the next number; neither fails and the numbers are 1 and 2."""
    org = notices.org
    one = notices.draft(**_matter(notices, 1))
    two = notices.draft(**_matter(notices, 2))
    numbered, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                services.notice_issue(notice=one, actor=org.supervisor, today=TODAY)
                numbered.set()
                release.wait(timeout=2)  # the second blocks on the counter's row meanwhile
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert numbered.wait(timeout=10)

    def second() -> None:
        try:
            services.notice_issue(notice=two, actor=org.supervisor, today=TODAY)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    issuing = threading.Thread(target=second)
    issuing.start()
    issuing.join(timeout=0.5)
    assert issuing.is_alive()  # waiting for the first transaction's counter row
    release.set()
    thread.join(timeout=10)
    issuing.join(timeout=10)
    assert not errors
    numbers = dict(Notice.objects.values_list("pk", "number"))
    assert numbers == {one.pk: "提示〔2022〕1号", two.pk: "提示〔2022〕2号"}
    assert DEADLINE > TODAY


@pytest.mark.parametrize(
    ("formats", "error"),
    [
        ({NoticeKind.REMINDER: "提示〔{year}〕号"}, "accountability.E003"),
        ({NoticeKind.REMINDER: "提示〔{yr}〕{n}号"}, "accountability.E002"),
        ({"memo": "{year}{n}"}, "accountability.E001"),
        ({NoticeKind.WARNING: "警示〔{year}〕第{n:03d}号"}, None),
    ],
)
def test_a_broken_number_format_fails_the_system_check(settings, formats, error) -> None:
    from accountability.checks import check_number_formats

    settings.NOTICE_NUMBER_FORMATS = formats
    assert [e.id for e in check_number_formats()] == ([error] if error else [])
