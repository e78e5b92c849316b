"""Official documents (公文) in the layout of GB/T 9704-2012 as .docx, for WPS or Word: the
parts every document the platform writes shares (a notice, a circular).

The page is A4 with the standard's margins (top 37 mm, bottom 35 mm, left 28 mm, right
26 mm); 3号 (16 pt) 仿宋 body, 2号 (22 pt) 小标宋 titles, red marks and the red rule of the
版头; the type area holds 22 lines of 28 characters (5.2.2: a line pitch of 225 mm / 22);
page numbers "— 1 —" in 4号 at the foot (7.5).

Fonts are named, not embedded: each run names its East Asian font (``w:eastAsia``), the one
Chinese offices have (仿宋_GB2312, 方正小标宋简体, 黑体), and the font table gives each its
common Windows name (仿宋, 宋体, SimHei) and GB2312 charset for Word and WPS to fall back on;
LibreOffice falls back through fontconfig to the system's CJK fonts (fonts-noto-cjk). Print
views ask the browser for the same fonts through ``CSS_*``.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.oxml.text.font import CT_RPr
from docx.shared import Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.text.font import Font
from docx.text.paragraph import Paragraph
from lxml import etree

# Page and margins of GB/T 9704-2012 (5.2), in millimetres.
PAGE_WIDTH, PAGE_HEIGHT = 210, 297
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 37, 35, 28, 26
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT  # 156 mm, the type area's width
# 22 lines a page in the 225 mm type area: a line every 10.23 mm (29 pt, rounded to 28.95).
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
LINE_PITCH = Pt(28.95)

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
# What print views ask the browser for, in order (the system's Noto CJK last).
CSS_BODY = '"仿宋_GB2312", "FangSong", "STFangsong", "Noto Serif CJK SC", serif'
CSS_TITLE = '"方正小标宋简体", "STZhongsong", "SimSun", "宋体", "Noto Serif CJK SC", serif'
CSS_HEADING = '"黑体", "SimHei", "Noto Sans CJK SC", sans-serif'
CSS_FONTS = {"body": CSS_BODY, "title": CSS_TITLE, "heading": CSS_HEADING}

# Sizes in points: 4号 14 pt, 3号 16 pt, 2号 22 pt; a mark is larger still.
SIZE_PAGE_NUMBER, SIZE_BODY, SIZE_TITLE, SIZE_MARK = 14, 16, 22, 36
RED = RGBColor(0xE6, 0x00, 0x12)
RED_HEX = "E60012"
CENTER, RIGHT = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT


def chinese_date(day: date | None) -> str:
    """2022年6月15日 (an official date has no leading zeros); blanks for none yet."""
    if day is None:
        return "　　年　　月　　日"
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_number(n: int) -> str:
    """一, 二, … 九十九 (tiers, sections); larger numbers stay in digits."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")
    return str(n)


def official_document() -> DocumentObject:
    """A new document on A4 with the standard's margins, 3号 仿宋 as its normal text and a
    line pitch giving 22 lines a page."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT)
    section.top_margin, section.bottom_margin = Mm(MARGIN_TOP), Mm(MARGIN_BOTTOM)
    section.left_margin, section.right_margin = Mm(MARGIN_LEFT), Mm(MARGIN_RIGHT)
    normal = doc.styles["Normal"]
    assert isinstance(normal, ParagraphStyle)
    normal.font.size = Pt(SIZE_BODY)
    set_font(normal.font, FONT_BODY, normal.element.get_or_add_rPr())
    return doc


def fixed_lines(doc: DocumentObject) -> None:
    """Exactly 22 lines a page: the normal text at a fixed line pitch, no space between
    paragraphs, and the section's grid saying the same to Word and WPS."""
    normal = doc.styles["Normal"]
    assert isinstance(normal, ParagraphStyle)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE_PITCH
    fmt.space_before = fmt.space_after = Pt(0)
    sect_pr = doc.sections[0]._sectPr
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect_pr.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(int(LINE_PITCH.pt * 20)))  # in twentieths of a point


def set_font(font: Font, east_asian: str, rpr: CT_RPr) -> None:
    """Name the Latin font and set ``w:eastAsia`` in the run's (or style's) rFonts."""
    font.name = FONT_LATIN
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), east_asian)


def add_paragraph(
    doc: DocumentObject,
    text: str,
    *,
    font: str = FONT_BODY,
    size: float = SIZE_BODY,
    bold: bool = False,
    color: RGBColor | None = None,
    align: int | None = None,
    indent: bool = False,
) -> Paragraph:
    """A paragraph of one run in ``font`` at ``size`` points (``indent``: two characters)."""
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
    set_font(run.font, font, run._element.get_or_add_rPr())
    return paragraph


def red_rule(paragraph: Paragraph) -> None:
    """A red line under ``paragraph`` (the rule of the 版头, 版头中的分隔线)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "12"), ("space", "4"), ("color", RED_HEX)):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    ppr.append(borders)


def page_numbers(doc: DocumentObject) -> None:
    """ "— 1 —" centred in the footer of every page, in 4号 (a PAGE field between dashes)."""
    footer = doc.sections[0].footer
    paragraph = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    paragraph.alignment = CENTER

    def run(text: str = "") -> None:
        r = paragraph.add_run(text)
        r.font.size = Pt(SIZE_PAGE_NUMBER)
        set_font(r.font, FONT_BODY, r._element.get_or_add_rPr())

    def field_char(kind: str) -> None:
        r = paragraph.add_run()
        char = OxmlElement("w:fldChar")
        char.set(qn("w:fldCharType"), kind)
        r._r.append(char)

    run("— ")
    field_char("begin")
    instruction = paragraph.add_run()
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = " PAGE "
    instruction._r.append(text)
    field_char("separate")
    run("1")
    field_char("end")
    run(" —")


def save(doc: DocumentObject) -> bytes:
    """The document's bytes, with the Chinese fonts in its font table."""
    out = io.BytesIO()
    doc.save(out)
    return with_font_table(out.getvalue())


def with_font_table(data: bytes) -> bytes:
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
