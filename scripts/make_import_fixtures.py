#!/usr/bin/env python
"""Make the office-style workbooks the import tests read, saved by LibreOffice.

    scripts/make_import_fixtures.py [ledger|scores]   # needs soffice (libreoffice-calc-nogui)

Ledger workbooks go to ``tasks_ledger/tests/fixtures/``, workbooks of scores (a third-party
evaluator's, one row per score or one column per indicator, with decimal and percentage
styles) to ``assessments/tests/fixtures/``.

Offices keep ledgers in WPS or LibreOffice, with a merged title row, a subtitle, their own
headers and their own ways of writing dates. Each workbook is built with openpyxl the way
such a ledger looks, then opened and saved again by ``soffice --headless --convert-to xlsx``
so that the committed file is what LibreOffice writes (its own XML, styles and shared
strings, no ``<dimension>`` trust). The results go to ``tasks_ledger/tests/fixtures/`` and
are committed, so the tests never need soffice.

The names in the rows (甲县, 甲县住建局, 甲镇, 甲县分管领导, 甲县住建局科长) are those of the
test organisation (``conftest.py`` and ``campaign.tests.builders.add_chain``).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tasks_ledger" / "tests" / "fixtures"
SCORE_FIXTURES = ROOT / "assessments" / "tests" / "fixtures"
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)

# The typical problem ledger of a county office (问题清单): 10 columns, dates in every style.
PROBLEM_HEADER = [
    "序号", "问题表现", "整改措施", "牵头单位", "配合单位", "责任领导", "责任人", "完成时限",
    "整改进度", "备注",
]  # fmt: skip
PROBLEM_ROWS: list[list[Any]] = [
    [1, "企业开办审批环节多、时限长", "推行“一窗受理、集成服务”", "甲县住建局", "甲镇",
     "甲县分管领导", "甲县住建局科长", dt.date(2022, 9, 30), "整改中", "群众反映集中"],
    [2, "窗口服务态度生硬", "开展窗口作风专项整顿", "甲县", "", "", "", "2022年9月30日",
     "未启动", ""],
    [3, "基层报表多、重复填报", "清理合并各类报表", "甲镇", "甲县住建局", "", "", "2022/12/31",
     "已完成", ""],
    [4, "政策落实“最后一公里”不畅", "建立政策落实督办台账", "甲县住建局", "", "甲县分管领导",
     "甲县住建局科长", "2022.10.15", "整改中", ""],
    [5, "干部作风漂浮、调研不深", "常态化开展明察暗访", "甲县", "甲镇", "", "", "长期坚持",
     "持续整改", "每季度通报一次"],
    [6, "会议多、会议长", "精简会议，控制时长", "甲县", "", "", "", "2022-9-30", "整改中", ""],
    [7, "文件多、照搬照转", "严控发文数量", "甲县", "", "", "", "9月底", "整改中", ""],
    [8, "督查检查考核过多", "统筹督查检查事项", "甲县", "", "", "", "年底", "", ""],
]  # fmt: skip

# The same kind of ledger as WPS users head it: spaced and bracketed names, other words.
WPS_HEADER = [
    "序  号", "工作任务", "具体措施", "责任单位\n（盖章）", "牵头部门", "分管领导", "具体责任人",
    "完成时限\n（年月日）", "进展情况", "备  注",
]  # fmt: skip
WPS_ROWS: list[list[Any]] = [
    ["1", "推进老旧小区改造", "完成8个小区管网改造", "甲县", "甲县住建局", "甲县分管领导",
     "甲县住建局科长", "2022年11月30日", "已完成3个小区", ""],
    ["2", "背街小巷环境整治", "整治背街小巷12条", "甲镇", "", "", "", "2022年10月底前", "", ""],
    ["3", "农贸市场提升改造", "改造农贸市场2个", "甲县", "", "", "", "12月31日前", "",
     "列入民生实事"],
]  # fmt: skip


def _sheet(title: str, subtitle: str, header: list[str], rows: list[list[Any]]) -> Workbook:
    """A ledger as offices lay it out: merged title, subtitle, boxed header and rows."""
    workbook = Workbook()
    sheet: Any = workbook.active
    sheet.title = "台账"
    width = len(header)
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet["A1"].font = Font(name="方正小标宋简体", size=18)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([subtitle])
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for line in sheet.iter_rows(min_row=3, max_row=3 + len(rows)):
        for cell in line:
            cell.border = BOX
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy年m月d日"
    for letter, size in zip("ABCDEFGHIJ", (6, 30, 30, 14, 12, 12, 12, 14, 12, 14), strict=True):
        sheet.column_dimensions[letter].width = size
    return workbook


def workbooks() -> dict[str, Workbook]:
    """The fixtures by file name."""
    return {
        "office_problem_ledger.xlsx": _sheet(
            "甲县2022年作风问题整改台账",
            "填报单位：甲县能力作风办（盖章）          填报时间：2022年6月1日",
            PROBLEM_HEADER,
            PROBLEM_ROWS,
        ),
        "wps_key_tasks.xlsx": _sheet(
            "甲县2022年重点工作任务推进台账",
            "填报单位：甲县          联系人：张三          联系电话：",
            WPS_HEADER,
            WPS_ROWS,
        ),
    }


# A third-party evaluator's sheet, one row per score. The units and indicators are those of
# the assessment tests (assessments/tests/conftest.py: 县01 and 县02 are C01 and C02; T1 is
# the third-party indicator 第三方评估 out of 100): by name, by code, by number and name.
SCORE_HEADER = ["序号", "被考核单位", "考核指标", "得分", "评估意见"]
SCORE_ROWS: list[list[Any]] = [
    [1, "县01", "T1", 85.5, "材料齐全，群众评价较好"],
    [2, "C02", "T1 第三方评估", 0.9, ""],  # 90%, in a cell styled as a percentage
    [3, "甲县", "第三方评估", "88", "台账更新及时"],
    [4, "甲镇", "T1", 72.25, ""],
]  # fmt: skip
# The office's sheet, one row per unit and one column per indicator.
WIDE_HEADER = ["序号", "单位", "T1 第三方评估", "群众满意度（满分100分）", "备注"]
WIDE_ROWS: list[list[Any]] = [
    [1, "县01", 80, 0.955, "抽样300人"],  # 95.5%
    [2, "县02", 78.5, 0.9, ""],
    [3, "乙县", 91, None, "满意度调查未开展"],
]  # fmt: skip


def _scores(
    title: str, subtitle: str, header: list[str], rows: list[list[Any]], average: str
) -> Workbook:
    """Scores as evaluators lay them out: merged title and subtitle, boxed header and rows,
    points with two decimals (a fraction below 1 as a percentage), and an average of the
    ``average`` column's points in a last row."""
    workbook = _sheet(title, subtitle, header, rows)
    sheet: Any = workbook.active
    sheet.title = "得分"
    first, last = 4, 3 + len(rows)
    for line in sheet.iter_rows(min_row=first, max_row=last):
        for cell in line:
            if isinstance(cell.value, float):
                cell.number_format = "0.0%" if cell.value < 1 else "0.00"
    column = "ABCDE".index(average) + 1
    footer: list[Any] = ["", "平均", "", "", ""]
    footer[column - 1] = f"=AVERAGE({average}{first}:{average}{last})"
    sheet.append(footer)
    return workbook


def score_workbooks() -> dict[str, Workbook]:
    """The score fixtures by file name."""
    return {
        "third_party_scores.xlsx": _scores(
            "2022年第三季度能力作风建设第三方评估得分表",
            "评估机构：某某评估咨询有限公司          评估时间：2022年9月30日",
            SCORE_HEADER,
            SCORE_ROWS,
            average="D",
        ),
        "office_scores_wide.xlsx": _scores(
            "2022年第三季度考核得分汇总表",
            "填报单位：测试市考核办（盖章）",
            WIDE_HEADER,
            WIDE_ROWS,
            average="C",
        ),
    }


def save_by_libreoffice(books: dict[str, Workbook], folder: Path, soffice: str) -> None:
    """Save each workbook with openpyxl, have LibreOffice open and save it again as .xlsx,
    and put what LibreOffice wrote into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        source, out, profile = (Path(scratch) / name for name in ("in", "out", "profile"))
        source.mkdir()
        for name, workbook in books.items():
            workbook.save(source / name)
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "xlsx:Calc MS Excel 2007 XML",
                "--outdir",
                str(out),
                *(str(source / name) for name in books),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        for name in books:
            shutil.copyfile(out / name, folder / name)
            print(folder / name)


def main() -> int:
    """Build each workbook, have LibreOffice save it, put it among the fixtures."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        print("soffice not found: apt-get install -y libreoffice-calc-nogui", file=sys.stderr)
        return 1
    wanted = set(sys.argv[1:]) or {"ledger", "scores"}
    if "ledger" in wanted:
        save_by_libreoffice(workbooks(), FIXTURES, soffice)
    if "scores" in wanted:
        save_by_libreoffice(score_workbooks(), SCORE_FIXTURES, soffice)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
