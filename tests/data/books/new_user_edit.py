"""What a new user does to a filled workbook in LibreOffice, through UNO (tests/test_new_user.py runs it).

Runs under a Python with ``uno`` (``office.find_uno_python``), never the project venv. Arguments: the UNO
pipe of a listening soffice, the workbook, where to save it (.xlsx) and a PNG. It adds a sheet 下拉选项 with
three names and a dropdown on 基本信息!B10 listing them, types =1800+852.84 into 全年执行数 (基本信息!D14),
merges 一级 of the first group (绩效指标!B4:B6, the lower cells emptied first, as Calc asks), puts the PNG
on the 自评表 as a picture (a seal), recalculates and saves; it prints ``ok``.
"""

import contextlib
import sys
import time

import uno
from com.sun.star.awt import Point, Size
from com.sun.star.beans import PropertyValue
from com.sun.star.sheet.ValidationType import LIST


def props(**kwargs):
    out = []
    for name, value in kwargs.items():
        prop = PropertyValue()
        prop.Name = name
        prop.Value = value
        out.append(prop)
    return tuple(out)


def connect(pipe):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(600):
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:
            time.sleep(0.1)
    raise SystemExit("no connection to soffice")


def main(pipe, src, dst, png):
    ctx = connect(pipe)
    smgr = ctx.ServiceManager
    desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, props(Hidden=True))
    sheets = doc.Sheets
    sheets.insertNewByName("下拉选项", sheets.Count)
    names = sheets.getByName("下拉选项")
    for row, name in enumerate(["张三", "李四", "王五"]):
        names.getCellByPosition(0, row).setString(name)
    info = sheets.getByName("基本信息")
    cell = info.getCellRangeByName("B10")
    validation = cell.Validation
    validation.Type = LIST
    validation.setFormula1("$下拉选项.$A$1:$A$3")
    validation.ShowList = 1
    cell.Validation = validation
    info.getCellRangeByName("D14").setFormula("=1800+852.84")
    indicators = sheets.getByName("绩效指标")
    for ref in ("B5", "B6"):
        indicators.getCellRangeByName(ref).setString("")
    indicators.getCellRangeByName("B4:B6").merge(True)
    summary = sheets.getByName("自评表")
    shape = doc.createInstance("com.sun.star.drawing.GraphicObjectShape")
    provider = smgr.createInstanceWithContext("com.sun.star.graphic.GraphicProvider", ctx)
    shape.Graphic = provider.queryGraphic(props(URL=uno.systemPathToFileUrl(png)))
    summary.DrawPage.add(shape)
    shape.setSize(Size(3000, 3000))
    shape.setPosition(Point(12000, 8000))
    doc.calculateAll()
    doc.storeToURL(uno.systemPathToFileUrl(dst), props(FilterName="Calc Office Open XML"))
    doc.close(True)
    with contextlib.suppress(Exception):
        desktop.terminate()
    print("ok")


if __name__ == "__main__":
    main(*sys.argv[1:5])
