"""A notice as an official document: the .docx read back with python-docx, and the A4
print view, both only for those who may see the notice."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from docx import Document
from docx.oxml.ns import qn

from accountability.documents import FONT_BODY, FONT_TITLE, NO_NUMBER, SEAL_NOTE, notice_docx
from accountability.models import Notice, NoticeKind

from .conftest import Notices

pytestmark = pytest.mark.django_db


def _read(data: bytes) -> tuple[list[str], Document]:  # type: ignore[valid-type]
    doc = Document(io.BytesIO(data))
    return [p.text for p in doc.paragraphs], doc


def _issued_order(notices: Notices, requirements: str = "十日内报送整改方案") -> Notice:
    return notices.issued(
        NoticeKind.SUPERVISION, facts="产业园项目开工滞后两个月", requirements=requirements
    )


def test_the_docx_reads_back_with_its_chinese_text_on_a4(notices: Notices) -> None:
    """GIVEN an issued supervision order WHEN it is rendered as a .docx THEN reading it back
    gives the issuing body, the number, the title, the recipient, the facts, the
    requirements, the reply deadline, the seal's place and the date, on A4 with the margins
    of GB/T 9704 and East Asian fonts named for WPS and Word."""
    notice = _issued_order(notices, requirements="十日内报送整改方案\n\n倒排工期")
    data = notice_docx(notice)
    texts, doc = _read(data)
    group = notices.org.group_a.name
    assert texts[0] == f"测试市{group}"
    assert texts[1] == "督办〔2022〕1号"
    assert "关于甲县产业园开工的督办单" in texts
    assert "主送：甲县" in texts
    assert "产业园项目开工滞后两个月" in texts
    assert texts[texts.index("十日内报送整改方案") + 1] == "倒排工期"  # a paragraph a line
    assert f"请于2022年6月15日前将整改情况书面反馈测试市{group}。" in texts
    assert texts[-3:] == [SEAL_NOTE, f"测试市{group}", "2022年6月1日"]
    assert any(t.startswith("责任人：") for t in texts)  # from the item's chain

    section = doc.sections[0]
    page = [section.page_width, section.page_height]
    margins = [section.top_margin, section.bottom_margin, section.left_margin, section.right_margin]
    # Word stores twentieths of a point: a millimetre is kept to within 0.02 mm.
    assert [length.mm for length in page if length] == pytest.approx([210, 297], abs=0.02)
    assert [length.mm for length in margins if length] == pytest.approx([37, 35, 28, 26], abs=0.02)

    mark = doc.paragraphs[0].runs[0]
    assert mark.font.color.rgb is not None and str(mark.font.color.rgb) == "E60012"
    assert mark.font.bold
    fonts = [
        run._element.rPr.rFonts.get(qn("w:eastAsia")) for p in doc.paragraphs for run in p.runs
    ]
    assert fonts[0] == FONT_TITLE and FONT_BODY in fonts and None not in fonts
    normal = doc.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == FONT_BODY
    rule = doc.paragraphs[1]._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert rule.get(qn("w:color")) == "E60012"  # the red rule under the number
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        fonts_xml = archive.read("word/fontTable.xml").decode()
    assert (
        '<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/><w:charset w:val="86"/>' in fonts_xml
    )
    title = next(p for p in doc.paragraphs if p.text.startswith("关于"))
    assert title.runs[0].font.size.pt == 22 and title.runs[0].font.bold  # 2号 bold


def test_a_draft_shows_that_its_number_is_still_to_come(notices: Notices) -> None:
    """GIVEN a draft reminder (no number, not issued) WHEN it is rendered THEN the number
    reads （待编号） and the date is left blank to fill in."""
    texts, _doc = _read(notice_docx(notices.draft()))
    assert texts[1] == NO_NUMBER
    assert "关于甲县产业园开工的提示单" in texts
    assert texts[-1] == "　　年　　月　　日"


def test_the_print_view_shows_the_document_on_a4(client: Client, notices: Notices) -> None:
    """GIVEN an issued order WHEN the target unit's liaison opens its print view THEN the
    page has the number, title, recipient, facts, requirements, deadline and date, and the
    A4 print stylesheet."""
    notice = _issued_order(notices)
    client.force_login(notices.org.inside)
    response = client.get(reverse("accountability:notice-print", args=[notice.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "督办〔2022〕1号",
        "关于甲县产业园开工的督办单",
        "主送：甲县",
        "产业园项目开工滞后两个月",
        "十日内报送整改方案",
        "请于2022年6月15日前",
        "2022年6月1日",
        SEAL_NOTE,
    ):
        assert text in page
    assert "accountability/notice_print.css" in page
    stylesheet = finders.find("accountability/notice_print.css")
    assert isinstance(stylesheet, str)
    css = Path(stylesheet).read_text(encoding="utf-8")
    assert "size: A4" in css and "margin: 37mm 26mm 35mm 28mm" in css


def test_the_docx_downloads_with_its_chinese_name(client: Client, notices: Notices) -> None:
    """GIVEN an issued order WHEN the issuing group's member downloads it THEN it is a .docx
    named per RFC 6266 with the Chinese number and title (and an ASCII fallback)."""
    notice = _issued_order(notices)
    client.force_login(notices.org.supervisor)
    response = client.get(reverse("accountability:notice-document", args=[notice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument")
    disposition = response["Content-Disposition"]
    assert f'filename="notice-{notice.pk}.docx"' in disposition
    assert quote("督办〔2022〕1号 关于甲县产业园开工的督办单.docx") in disposition
    texts, _doc = _read(b"".join(response.streaming_content))
    assert "督办〔2022〕1号" in texts


@pytest.mark.parametrize("name", ["notice-print", "notice-document"])
def test_who_may_not_see_the_notice_gets_404(client: Client, notices: Notices, name: str) -> None:
    """GIVEN an issued order to 甲县 and a draft WHEN 乙县's liaison asks for the order, or
    甲县's liaison for the draft (not sent yet) THEN both get 404; anonymous users go to
    the login page."""
    notice = _issued_order(notices)
    draft = notices.draft(NoticeKind.REMINDER, item=notices.plain)
    url = reverse(f"accountability:{name}", args=[notice.pk])
    assert client.get(url).status_code == 302
    client.force_login(notices.org.outsider)
    assert client.get(url).status_code == 404
    client.force_login(notices.org.inside)
    assert client.get(reverse(f"accountability:{name}", args=[draft.pk])).status_code == 404
    assert client.get(url).status_code == 200
