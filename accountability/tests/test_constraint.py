"""One matter, one notice (一事一单): at most one open notice per ledger item and kind,
kept by the database and read as a sentence."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from accountability import services
from accountability.models import Notice, NoticeKind, NoticeStatus

from .conftest import Notices

pytestmark = pytest.mark.django_db


def test_a_second_open_notice_of_a_kind_is_refused_in_words(notices: Notices) -> None:
    notices.draft()
    with pytest.raises(ValidationError) as refused:
        notices.draft(actor=notices.org.above, group=None)
    assert refused.value.messages == ["该事项已有一张未办结的提示单，请先办结该单（一事一单）。"]
    # another kind, or another item, is another matter
    assert notices.draft(NoticeKind.SUPERVISION).kind == NoticeKind.SUPERVISION
    assert notices.draft(item=notices.plain).item == notices.plain


def test_once_closed_the_matter_may_have_a_new_notice(notices: Notices) -> None:
    org = notices.org
    notice = services.notice_sign_for(notice=notices.issued(), actor=org.inside)
    notice = services.notice_reply(notice=notice, actor=org.inside, text="已整改")
    services.notice_accept(notice=notice, actor=org.supervisor)
    again = notices.draft()
    assert again.status == NoticeStatus.DRAFT
    assert Notice.objects.filter(item=notices.item, kind=NoticeKind.REMINDER).count() == 2


def test_the_database_itself_refuses_a_duplicate(notices: Notices) -> None:
    first = notices.draft()
    with pytest.raises(IntegrityError), transaction.atomic():
        Notice.objects.create(
            campaign=first.campaign,
            kind=first.kind,
            issuing_unit=first.issuing_unit,
            target_unit=first.target_unit,
            item=first.item,
            facts="重复",
            requirements="重复",
            reply_deadline=first.reply_deadline,
        )
    duplicate = Notice(
        campaign=first.campaign,
        kind=first.kind,
        issuing_unit=first.issuing_unit,
        target_unit=first.target_unit,
        item=first.item,
        facts="重复",
        requirements="重复",
        reply_deadline=first.reply_deadline,
    )
    with pytest.raises(ValidationError) as refused:
        duplicate.validate_constraints()
    assert "一事一单" in " ".join(refused.value.messages)


def test_free_standing_matters_are_not_held_to_an_item(notices: Notices) -> None:
    org = notices.org
    notices.draft(target_unit=org.county_a, subject_title="会议纪律松散")
    notices.draft(target_unit=org.county_a, subject_title="会议纪律松散")
    assert Notice.objects.filter(item__isnull=True).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_drafts_at_the_same_moment_read_as_a_sentence(notices: Notices) -> None:
    """GIVEN two people drafting a reminder on one item at once (the first one's row written
    but not committed, so the second one's check sees nothing) WHEN the second writes THEN
    the partial unique index stops it, and it reads as a sentence."""
    org = notices.org
    written, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                notices.draft()
                written.set()
                done.wait(timeout=2)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert written.wait(timeout=10)
    with pytest.raises(ValidationError) as refused:
        notices.draft(actor=org.above, group=None)
    done.set()
    thread.join(timeout=10)
    assert not errors
    assert "一事一单" in refused.value.messages[0]
    assert Notice.objects.filter(item=notices.item).count() == 1
