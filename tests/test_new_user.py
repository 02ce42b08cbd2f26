"""Tried as a new user would (issue 11): build the template, fill a few values, save it from LibreOffice
with a seal picture, a dropdown on another sheet, merged 一级 cells and a formula in 全年执行数, then run
validate --mark and summary: the numbers are right, and the picture, the dropdown and the merge are still
there (parts compared byte for byte). LibreOffice does the editing through UNO (data/books/new_user_edit.py).
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from perfeval_xl import office
from perfeval_xl.cli import app

BOOKS = Path(__file__).resolve().parent / "data" / "books"
UNO = office.find_uno_python()
pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(office.find_soffice() is None or UNO is None, reason="LibreOffice with UNO needed"),
]

INFO = {
    "B4": "雷州市科工贸和信息化局",
    "B5": "440882001",
    "B6": "雷州市人民政府",
    "B7": 2023,
    "B8": "部门整体支出",
    "B10": "张三",
    "B11": "2024年7月12日",
    "B14": 2652.84,
    "C14": 2652.84,
    "B18": 10,
}
INDICATORS = [
    ("产出指标", "数量指标", "完成技改企业数", "≥", 17, "家", 20, None, 30, 30, None),
    (
        "产出指标",
        "数量指标",
        "新增5G基站",
        "≥",
        262,
        "座",
        224,
        None,
        20,
        None,
        "部分站址协调滞后；下年提前对接。",
    ),
    ("产出指标", "时效指标", "项目备案办结时限", "≤", 3, "个工作日", 3, None, 10, 10, None),
    ("效益指标", "经济效益指标", "规上工业增加值增速", "≥", 5, "%", 5.4, None, 20, 20, None),
    (
        "满意度指标",
        "服务对象满意度指标",
        "企业满意度",
        "定性",
        "满意",
        None,
        "达成年度指标",
        "达成年度指标",
        10,
        9,
        "流程较长；下年精简。",
    ),
]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), terminal_width=300)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def edit_in_libreoffice(src: Path, dst: Path, seal: Path) -> None:
    with office._workspace() as (root, _):
        pipe = f"perfeval-newuser-{root.name}"
        proc = office._popen(
            office._soffice_cmd(root, f"--accept=pipe,name={pipe};urp;"), root / "soffice.log"
        )
        try:
            done = subprocess.run(
                [UNO, str(BOOKS / "new_user_edit.py"), pipe, str(src), str(dst), str(seal)],  # type: ignore[list-item]
                capture_output=True,
                text=True,
                timeout=180,
                env=office._clean_env(),
            )
            assert done.stdout.strip().endswith("ok"), done.stderr
        finally:
            office._stop(proc, grace=10)
            office._forget_pipes(root, pipe)


def test_a_new_users_workbook(tmp_path: Path) -> None:
    sys.path.insert(0, str(BOOKS))
    import make_books

    template = tmp_path / "模板.xlsx"
    assert run("template", "-o", str(template))[0] == 0
    wb = openpyxl.load_workbook(template)
    for ref, value in INFO.items():
        wb["基本信息"][ref] = value
    for r, row in enumerate(INDICATORS, start=4):
        for col, value in zip("BCDEFGHIJKM", row, strict=True):
            if value is not None:
                wb["绩效指标"][f"{col}{r}"] = value
    filled = tmp_path / "填好.xlsx"
    wb.save(filled)
    seal = tmp_path / "公章.png"
    seal.write_bytes(make_books.png(64))
    returned = tmp_path / "交回.xlsx"
    edit_in_libreoffice(filled, returned, seal)
    with zipfile.ZipFile(returned) as z:
        before = {n: z.read(n) for n in z.namelist()}

    code, out = run("validate", str(returned), "--mark")
    assert code == 0 and "FORMULA_IN_INPUT" in out and "2652.84" in out  # the formula's result, a warning
    assert "REQUIRED_MISSING" not in out  # the merged 一级 counts for every row of its group
    code, out = run("summary", str(returned))
    assert code == 0 and "总分 96.10，等级 优" in out  # 10 + 30 + 20×224/262 + 10 + 20 + 9
    code, out = run("score", str(returned))
    assert "总分 96.10" in out

    with zipfile.ZipFile(returned) as z:
        after = {n: z.read(n) for n in z.namelist()}
    pictures = [n for n in before if n.startswith("xl/media/")]
    assert pictures and all(after[n] == before[n] for n in pictures)  # the seal, byte for byte
    drawings = [n for n in before if n.startswith("xl/drawings/drawing")]
    assert drawings and all(after[n] == before[n] for n in drawings)
    info = next(n for n in after if re.search("<formula1>\\S*下拉选项".encode(), after[n]))
    assert b"<formula1>" in before[info]  # the dropdown referring to 下拉选项 is still on 基本信息
    assert any(b'<mergeCell ref="B4:B6"/>' in d for d in after.values())
    summary_sheet = openpyxl.load_workbook(returned)["自评表"]
    values = [c.value for row in summary_sheet.iter_rows() for c in row if c.value is not None]
    assert "总分" in values and any(isinstance(v, float) and abs(v - 96.10) < 1e-9 for v in values)
