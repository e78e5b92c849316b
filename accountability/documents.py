"""A notice as an official document (公文) in the layout of GB/T 9704: a .docx for WPS or Word.

The page is A4 with the standard's margins (top 37 mm, bottom 35 mm, left 28 mm, right 26 mm);
the issuing body's mark (发文机关标志) in red 小标宋 at the top, the number centred under it
above a red rule, the title in 2号 bold, the recipient (主送), the body in 3号 仿宋 (facts,
requirements, the reply deadline), the issuing body and date at the bottom right and the
place for the seal. A draft has no number yet: it shows "（待编号）".

Fonts are named, not embedded: each run names its East Asian font (``w:eastAsia``), the one
Chinese offices have (仿宋_GB2312, 方正小标宋简体, 黑体), and the font table gives each its
common Windows name (仿宋, 宋体, SimHei) and GB2312 charset for Word and WPS to fall back on;
LibreOffice falls back through fontconfig to the system's CJK fonts (fonts-noto-cjk). The print view
(``accountability/notice_print.html``) shows the same content through :func:`notice_context`.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date

from django.utils import translation
from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.oxml.text.font import CT_RPr
from docx.shared import Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.text.font import Font
from docx.text.paragraph import Paragraph
from lxml import etree

from .models import Notice

# Page and margins of GB/T 9704-2012 (5.2), in millimetres.
PAGE_WIDTH, PAGE_HEIGHT = 210, 297
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 37, 35, 28, 26

# East Asian fonts by role; the Latin font beside them.
FONT_BODY = "仿宋_GB2312"
FONT_TITLE = "方正小标宋简体"
FONT_HEADING = "黑体"
FONT_LATIN = "Times New Roman"
# The font table tells Word and WPS what each font is when it is missing here: a Chinese
# (GB2312, charset 86) font, its common Windows name as the alternative, serif or sans.
FONT_TABLE = {
    FONT_BODY: ("仿宋", "roman"),
    FONT_TITLE: ("宋体", "roman"),
    FONT_HEADING: ("SimHei", "swiss"),
}
# What the print view asks the browser for, in order (the system's Noto CJK last).
CSS_BODY = '"仿宋_GB2312", "FangSong", "STFangsong", "Noto Serif CJK SC", serif'
CSS_TITLE = '"方正小标宋简体", "STZhongsong", "Noto Serif CJK SC", serif'
CSS_HEADING = '"黑体", "SimHei", "Noto Sans CJK SC", sans-serif'

# Sizes in points: 3号 16 pt, 2号 22 pt; the mark is larger still.
SIZE_BODY, SIZE_TITLE, SIZE_MARK = 16, 22, 36
RED = RGBColor(0xE6, 0x00, 0x12)
RED_HEX = "E60012"

NO_NUMBER = "（待编号）"
SEAL_NOTE = "（印章位置）"


def chinese_date(day: date | None) -> str:
    """2022年6月15日 (an official date has no leading zeros); blanks for none yet."""
    if day is None:
        return "　　年　　月　　日"
    return f"{day.year}年{day.month}月{day.day}日"


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


def _font(font: Font, east_asian: str, rpr: CT_RPr) -> None:
    """Name the Latin font and set ``w:eastAsia`` in the run's (or style's) rFonts."""
    font.name = FONT_LATIN
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), east_asian)


def _paragraph(
    doc: DocumentObject,
    text: str,
    *,
    font: str = FONT_BODY,
    size: int = SIZE_BODY,
    bold: bool = False,
    color: RGBColor | None = None,
    align: int | None = None,
    indent: bool = False,
) -> Paragraph:
    paragraph = doc.add_paragraph()
    if align is not None:
        paragraph.alignment = align  # type: ignore[assignment]
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(size * 2)
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    _font(run.font, font, run._element.get_or_add_rPr())
    return paragraph


def _red_rule(paragraph: Paragraph) -> None:
    """A red line under ``paragraph`` (the rule below the number, 版头中的分隔线)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "12"), ("space", "4"), ("color", RED_HEX)):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    ppr.append(borders)


def notice_docx(notice: Notice) -> bytes:
    """The notice as a .docx (GB/T 9704 layout), ready to edit and stamp."""
    words = notice_context(notice)
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT)
    section.top_margin, section.bottom_margin = Mm(MARGIN_TOP), Mm(MARGIN_BOTTOM)
    section.left_margin, section.right_margin = Mm(MARGIN_LEFT), Mm(MARGIN_RIGHT)
    normal = doc.styles["Normal"]
    assert isinstance(normal, ParagraphStyle)
    normal.font.size = Pt(SIZE_BODY)
    _font(normal.font, FONT_BODY, normal.element.get_or_add_rPr())

    center, right = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT
    _paragraph(
        doc, words.issuing_body, font=FONT_TITLE, size=SIZE_MARK, bold=True, color=RED, align=center
    )
    _red_rule(_paragraph(doc, words.number, align=center))
    _paragraph(doc, "")
    _paragraph(doc, words.title, font=FONT_TITLE, size=SIZE_TITLE, bold=True, align=center)
    _paragraph(doc, "")
    _paragraph(doc, f"主送：{words.recipient}")
    _paragraph(doc, "一、问题情况", font=FONT_HEADING, indent=True)
    for line in words.facts:
        _paragraph(doc, line, indent=True)
    if words.responsible:
        _paragraph(doc, f"责任人：{words.responsible}", indent=True)
    _paragraph(doc, "二、整改要求", font=FONT_HEADING, indent=True)
    for line in words.requirements:
        _paragraph(doc, line, indent=True)
    _paragraph(doc, "三、反馈时限", font=FONT_HEADING, indent=True)
    _paragraph(doc, words.deadline, indent=True)
    _paragraph(doc, "")
    _paragraph(doc, SEAL_NOTE, color=RGBColor(0x99, 0x99, 0x99), align=right)
    _paragraph(doc, words.signature, align=right)
    _paragraph(doc, words.date, align=right)
    out = io.BytesIO()
    doc.save(out)
    return _with_font_table(out.getvalue())


def _with_font_table(data: bytes) -> bytes:
    """Add the Chinese fonts to ``word/fontTable.xml`` (python-docx keeps that part as bytes)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "word/fontTable.xml":
                table = parse_xml(content)
                for name, (alternative, family) in FONT_TABLE.items():
                    font = OxmlElement("w:font")
                    font.set(qn("w:name"), name)
                    for tag, value in (
                        ("altName", alternative),
                        ("charset", "86"),
                        ("family", family),
                        ("pitch", "variable"),
                    ):
                        child = OxmlElement(f"w:{tag}")
                        child.set(qn("w:val"), value)
                        font.append(child)
                    table.append(font)
                content = etree.tostring(
                    table, xml_declaration=True, encoding="UTF-8", standalone=True
                )
            target.writestr(info, content)
    return out.getvalue()


def notice_filename(notice: Notice) -> tuple[str, str]:
    """The download's Chinese name and its ASCII fallback."""
    words = notice_context(notice)
    number = notice.number or "待编号"
    return f"{number} {words.title}.docx", f"notice-{notice.pk}.docx"
