"""A notice as an official document (公文) in the layout of GB/T 9704: a .docx for WPS or Word.

The page is A4 with the standard's margins (top 37 mm, bottom 35 mm, left 28 mm, right 26 mm);
the issuing body's mark (发文机关标志) in red 小标宋 at the top, the number centred under it
above a red rule, the title in 2号 bold, the recipient (主送), the body in 3号 仿宋 (facts,
requirements, the reply deadline), the issuing body and date at the bottom right and the
place for the seal. A draft has no number yet: it shows "（待编号）".

The page set-up, fonts, paragraphs, red rule and font table are the shared ones of
:mod:`config.documents` (the circular of an assessment round uses them too). The print view
(``accountability/notice_print.html``) shows the same content through :func:`notice_context`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation
from docx.shared import RGBColor

from config.documents import (
    CENTER,
    CSS_BODY,
    CSS_HEADING,
    CSS_TITLE,
    FONT_BODY,
    FONT_HEADING,
    FONT_TITLE,
    RED,
    RIGHT,
    SIZE_MARK,
    SIZE_TITLE,
    add_paragraph,
    chinese_date,
    official_document,
    red_rule,
    save,
)

from .models import Notice

# Re-exported for the notice's views and tests (they are the shared module's).
__all__ = [
    "CSS_BODY",
    "CSS_HEADING",
    "CSS_TITLE",
    "FONT_BODY",
    "FONT_TITLE",
    "NO_NUMBER",
    "SEAL_NOTE",
    "chinese_date",
    "notice_context",
    "notice_docx",
    "notice_filename",
]

NO_NUMBER = "（待编号）"
SEAL_NOTE = "（印章位置）"


@dataclass(frozen=True)
class NoticeDocument:
    """The words of the document, shared by the .docx and the print view."""

    issuing_body: str
    number: str
    title: str
    recipient: str
    responsible: str
    facts: tuple[str, ...]  # one paragraph a line
    requirements: tuple[str, ...]
    deadline: str
    signature: str
    date: str


def _lines(text: str) -> tuple[str, ...]:
    """The text's non-blank lines: each is a paragraph with its own first-line indent."""
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def notice_context(notice: Notice) -> NoticeDocument:
    """The document's words for ``notice``, in Chinese whatever the request's language."""
    with translation.override("zh-hans"):
        kind = str(notice.get_kind_display())
    issuing_body = notice.issuing_unit.name
    if notice.group_id and notice.group is not None:
        issuing_body = f"{issuing_body}{notice.group.name}"
    people = "、".join(person.name or person.username for person in notice.responsible_people.all())
    return NoticeDocument(
        issuing_body=issuing_body,
        number=notice.number or NO_NUMBER,
        title=f"关于{notice.subject}的{kind}",
        recipient=notice.target_unit.name,
        responsible=people,
        facts=_lines(notice.facts),
        requirements=_lines(notice.requirements),
        deadline=f"请于{chinese_date(notice.reply_deadline)}前将整改情况书面反馈{issuing_body}。",
        signature=issuing_body,
        date=chinese_date(notice.issued_on),
    )


def notice_docx(notice: Notice) -> bytes:
    """The notice as a .docx (GB/T 9704 layout), ready to edit and stamp."""
    words = notice_context(notice)
    doc = official_document()
    add_paragraph(
        doc, words.issuing_body, font=FONT_TITLE, size=SIZE_MARK, bold=True, color=RED, align=CENTER
    )
    red_rule(add_paragraph(doc, words.number, align=CENTER))
    add_paragraph(doc, "")
    add_paragraph(doc, words.title, font=FONT_TITLE, size=SIZE_TITLE, bold=True, align=CENTER)
    add_paragraph(doc, "")
    add_paragraph(doc, f"主送：{words.recipient}")
    add_paragraph(doc, "一、问题情况", font=FONT_HEADING, indent=True)
    for line in words.facts:
        add_paragraph(doc, line, indent=True)
    if words.responsible:
        add_paragraph(doc, f"责任人：{words.responsible}", indent=True)
    add_paragraph(doc, "二、整改要求", font=FONT_HEADING, indent=True)
    for line in words.requirements:
        add_paragraph(doc, line, indent=True)
    add_paragraph(doc, "三、反馈时限", font=FONT_HEADING, indent=True)
    add_paragraph(doc, words.deadline, indent=True)
    add_paragraph(doc, "")
    add_paragraph(doc, SEAL_NOTE, color=RGBColor(0x99, 0x99, 0x99), align=RIGHT)
    add_paragraph(doc, words.signature, align=RIGHT)
    add_paragraph(doc, words.date, align=RIGHT)
    return save(doc)


def notice_filename(notice: Notice) -> tuple[str, str]:
    """The download's Chinese name and its ASCII fallback."""
    words = notice_context(notice)
    number = notice.number or "待编号"
    return f"{number} {words.title}.docx", f"notice-{notice.pk}.docx"
