"""Macro-enabled workbook (.xlsm): VBA project and ribbon built from the text sources in ``macros/``.

``make_macro_workbook`` turns a plain .xlsx into an .xlsm at the zip level (fast, independent of the
builder that made the .xlsx):

- ``xl/vbaProject.bin`` is built from ``macros/*.bas`` by ms-ovba (pinned ms-ovba==0.0.1) as a
  *source-only* project (MS-OVBA 2.3.4.1: ``_VBA_PROJECT`` version 0xFFFF, no performance cache), which
  Office compiles from the source on open. Nothing binary is committed.
- ``customUI/customUI.xml`` is the ribbon, related from ``_rels/.rels`` with the 2006 relationship type,
  the form openpyxl keeps on ``load_workbook(keep_vba=True)`` + save. ``ensure_ribbon`` re-adds it after a
  writer that drops it.

The VBA reaches Python late-bound through the installed xlwings add-in
(``Application.Run "xlwings.xlam!RunPython", cmd``): the project embeds no xlwings code and holds no
reference to the add-in's project, so the workbook compiles without xlwings and tells the clerk in
Chinese what to install. A standalone build would copy xlwings' VBA (which must match the installed
Python package's version) into every workbook. The .bas files are ASCII: Chinese text is kept as
``\\uXXXX`` escapes that VBA decodes at run time, so the project code page (ms-ovba writes 1252) cannot
garble it; ``VBA_MESSAGES`` holds the readable text that the tests compare with the escapes.

ms-ovba 0.0.1 quirks handled here: it writes its intermediate files into the current directory (we run
it in a private temporary directory, under a lock) and its compressor computes the longest copy token
wrongly (``0xFFFF << bit_count + 3`` instead of MS-OVBA's CopyToken Help ``(0xFFFF >> bit_count) + 3``),
which corrupts any module with a repeat longer than ~18 bytes; the fix is applied only while building.
"""

from __future__ import annotations

import ast
import contextlib
import posixpath
import random
import re
import tempfile
import threading
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from lxml import etree

from ..files import atomic_path
from ..rules.scheme import Scheme


def _macros_dir() -> Path:
    """The VBA and ribbon sources: ``macros/`` of a checkout, or the copy a wheel carries (setup.py)."""
    packaged = Path(__file__).resolve().parents[1] / "data" / "macros"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "macros"


#: Where the VBA (.bas) and ribbon (customUI.xml) sources live.
MACROS_DIR = _macros_dir()
RIBBON_FILE = "customUI.xml"

#: Python module and functions the ribbon calls (RunPython commands in macros/*.bas).
EXCEL_MODULE = "perfeval_xl.excel"
ENTRY_POINTS = ("validate_book", "score_book", "summary_book", "clear_marks", "about")

#: Readable text of the ``MSG_*`` constants in PerfEval.bas (stored there as ``vba_escape(text)``).
VBA_MESSAGES = {
    "MSG_TITLE": "绩效自评",
    "MSG_NO_XLWINGS": (
        "未检测到 xlwings 加载项。请先按 README 安装 Python、perfeval-xl 和 xlwings 加载项"
        "（命令行运行 xlwings addin install），然后重新打开本工作簿。"
    ),
    "MSG_RUN_FAILED": "调用 Python 时出错，请把以下信息发给技术支持：",
}

# OPC names.
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DOC_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_OFFICE_DOCUMENT = DOC_REL_NS + "/officeDocument"
REL_WORKSHEET = DOC_REL_NS + "/worksheet"
REL_VBA = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
REL_RIBBON = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
CT_VBA = "application/vnd.ms-office.vbaProject"
CT_MACRO_WORKBOOK = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": (
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": (
        "application/vnd.ms-excel.template.macroEnabled.main+xml"
    ),
}
RIBBON_PART = "customUI/customUI.xml"
VBA_NAME = "vbaProject.bin"

# VBA project constants: a fixed project id keeps the build reproducible; references as Excel writes
# them (stdole and the Office library, which defines IRibbonControl).
PROJECT_ID = "{5B0E3A6C-2F0D-4C62-9E0B-7A51C1F3D0E1}"
WORKBOOK_CLSID = "00020819-0000-0000-C000-000000000046"
WORKSHEET_CLSID = "00020820-0000-0000-C000-000000000046"
REFERENCES = (
    ("stdole", "00020430-0000-0000-C000-000000000046", r"C:\Windows\System32\stdole2.tlb", "OLE Automation"),
    (
        "Office",
        "2DF8D04C-5BFA-101B-BDE5-00AA0044DE52",
        r"C:\Program Files\Common Files\Microsoft Shared\OFFICE16\MSO.DLL",
        "Microsoft Office 16.0 Object Library",
    ),
)

_VBA_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,30}")
_BUILD_LOCK = threading.Lock()


class MacroError(ValueError):
    """A macro source or workbook that cannot be turned into an .xlsm (message in Chinese)."""


# ---- VBA text -------------------------------------------------------------------------------------


def vba_escape(text: str) -> str:
    """ASCII form of ``text`` for a VBA string literal: each non-ASCII UTF-16 code unit as ``\\uxxxx``."""
    units = text.encode("utf-16-le")
    codes = (int.from_bytes(units[i : i + 2], "little") for i in range(0, len(units), 2))
    return "".join(chr(code) if code < 0x80 else f"\\u{code:04x}" for code in codes)


def vba_unescape(escaped: str) -> str:
    """Inverse of ``vba_escape`` (what ``Zh`` in PerfEval.bas computes)."""
    units = re.sub(r"\\u([0-9A-Fa-f]{4})", lambda m: chr(int(m.group(1), 16)), escaped)
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le")


def read_bas(path: Path) -> str:
    """The text of a .bas module with ``\\n`` line ends; it must be ASCII and name itself after the file."""
    data = path.read_bytes()
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.isascii():
            raise MacroError(
                f"{path.name} 第 {number} 行含有非 ASCII 字符：VBA 源码只能用 ASCII，中文请写成 \\uXXXX 转义"
                "（见 perfeval_xl.xlsx.macro.vba_escape）。"
            )
    text = data.decode("ascii").replace("\r\n", "\n")
    first = text.split("\n", 1)[0].strip()
    if first != f'Attribute VB_Name = "{path.stem}"':
        raise MacroError(f'{path.name} 第 1 行必须是 Attribute VB_Name = "{path.stem}"。')
    return text


def ribbon_callbacks(bas_text: str) -> set[str]:
    """Names of ``Sub X(control As IRibbonControl)`` procedures in a module."""
    pattern = re.compile(
        r"^\s*(?:Public\s+)?Sub\s+(\w+)\s*\(\s*(?:ByRef\s+)?control\s+As\s+IRibbonControl\s*\)",
        re.IGNORECASE | re.MULTILINE,
    )
    return set(pattern.findall(bas_text))


class PythonCall(NamedTuple):
    """One RunPython command in the VBA: the Sub it is in, and the Python function it calls."""

    sub: str
    module: str
    function: str
    command: str


_SUB_START = re.compile(r"^\s*(?:(?:Public|Private)\s+)?(?:Sub|Function)\s+(\w+)", re.IGNORECASE)
_RUN_CALL = re.compile(r'\b(?:CallPython|TryRunPython)\s*\(?\s*"((?:[^"]|"")*)"')


def python_calls(bas_text: str) -> list[PythonCall]:
    """Every Python command passed to ``CallPython``/``TryRunPython`` in a module, parsed."""
    calls: list[PythonCall] = []
    sub = ""
    for line in bas_text.splitlines():
        if line.lstrip().startswith("'"):
            continue
        if started := _SUB_START.match(line):
            sub = started.group(1)
        for literal in _RUN_CALL.findall(line):
            command = literal.replace('""', '"')
            calls.extend(PythonCall(sub, module, function, command) for module, function in _called(command))
    return calls


def _called(command: str) -> list[tuple[str, str]]:
    """(module, function) pairs called in a one-line Python command such as ``import a.b as m; m.f()``."""
    try:
        tree = ast.parse(command)
    except SyntaxError as exc:
        raise MacroError(f"RunPython 命令不是合法的 Python：{command}") from exc
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target = ast.unparse(node.func)
        head, _, attr = target.rpartition(".")
        if head in aliases:
            found.append((aliases[head], attr))
        elif not head and attr in aliases:
            module, _, function = aliases[attr].rpartition(".")
            found.append((module, function))
    return found


def ribbon_actions(customui: bytes) -> dict[str, str]:
    """``{control id: onAction}`` of every control in a customUI document."""
    root = etree.fromstring(customui)
    return {el.get("id"): el.get("onAction") for el in root.iter() if el.get("onAction") is not None}


def check_sources(bas_files: Sequence[Path], customui: bytes) -> None:
    """Raise ``MacroError`` unless every ribbon action and every RunPython command has its target."""
    texts = [read_bas(path) for path in bas_files]
    callbacks = set().union(*(ribbon_callbacks(text) for text in texts))
    problems = [
        f"功能区按钮 {control} 的 onAction={action} 在 .bas 中没有 Sub {action}(control As IRibbonControl)"
        for control, action in ribbon_actions(customui).items()
        if action.rpartition(".")[2] not in callbacks
    ]
    for text in texts:
        for call in python_calls(text):
            if call.module != EXCEL_MODULE or call.function not in ENTRY_POINTS:
                problems.append(
                    f"{call.sub} 调用的 {call.module}.{call.function} 不在入口列表 ENTRY_POINTS 中"
                )
    if problems:
        raise MacroError("宏源码不一致：" + "；".join(problems) + "。")


# ---- VBA project ----------------------------------------------------------------------------------


def _document_module_text(name: str, clsid: str) -> str:
    """Source of an empty document module (ThisWorkbook / a sheet), attributes as Excel writes them."""
    return "".join(
        f"Attribute VB_{key} = {value}\r\n"
        for key, value in (
            ("Name", f'"{name}"'),
            ("Base", f'"0{{{clsid}}}"'),
            ("GlobalNameSpace", "False"),
            ("Creatable", "False"),
            ("PredeclaredId", "True"),
            ("Exposed", "True"),
            ("TemplateDerived", "False"),
            ("Customizable", "True"),
        )
    )


@contextlib.contextmanager
def _ms_ovba_workspace() -> Iterator[Path]:
    """A private current directory for ms-ovba, one build at a time, with two library fixes in force.

    - the copy-token length limit of its compressor is corrected (see the module docstring);
    - the random seeds of the PROJECT stream's obfuscated fields (MS-OVBA 2.4.3) come from a fixed
      seed, so the same sources give the same bytes; the caller's ``random`` state is restored.
    """
    from ms_ovba_compression.ms_ovba import MsOvba

    original = MsOvba.__dict__["copytoken_help"]

    def copytoken_help(difference: int) -> dict:
        help_ = original.__func__(difference)
        help_["maxLength"] = (0xFFFF >> help_["bitCount"]) + 3
        return help_

    with _BUILD_LOCK, tempfile.TemporaryDirectory(prefix="perfeval-vba-") as tmp, contextlib.chdir(tmp):
        random_state = random.getstate()
        MsOvba.copytoken_help = staticmethod(copytoken_help)
        random.seed(PROJECT_ID)
        try:
            yield Path(tmp)
        finally:
            MsOvba.copytoken_help = original
            random.setstate(random_state)


def build_vba_project(
    bas_files: Sequence[Path],
    *,
    workbook_codename: str = "ThisWorkbook",
    sheet_codenames: Sequence[str] = ("Sheet1",),
) -> bytes:
    """A source-only ``vbaProject.bin`` with the given standard modules plus the document modules.

    Document modules (empty) are named after the workbook's and sheets' code names, as Excel has them.
    """
    try:
        from ms_ovba.Models.Entities.doc_module import DocModule
        from ms_ovba.Models.Entities.reference import Reference
        from ms_ovba.Models.Entities.reference_registered import ReferenceRegistered
        from ms_ovba.Models.Entities.std_module import StdModule
        from ms_ovba.Models.Fields.libid_reference import LibidReference
        from ms_ovba.vbaProject import VbaProject
        from ms_ovba.Views.project_ole_file import ProjectOleFile
    except ImportError as exc:
        raise MacroError("生成启用宏的模板需要 ms-ovba：请运行 pip install 'perfeval-xl[macro]'。") from exc

    sources = {path.stem: read_bas(path).replace("\n", "\r\n") for path in bas_files}
    documents = {workbook_codename: WORKBOOK_CLSID} | dict.fromkeys(sheet_codenames, WORKSHEET_CLSID)
    names = [*documents, *sources]
    for name in names:
        if not _VBA_IDENTIFIER.fullmatch(name):
            raise MacroError(
                f"VBA 模块名 {name!r} 无效：只能用英文字母、数字和下划线，以字母开头，最多 31 个字符。"
            )
    if len({name.lower() for name in names}) != len(names):
        raise MacroError(f"VBA 模块名重复（不区分大小写）：{', '.join(names)}。")

    project = VbaProject()
    project.project_id = PROJECT_ID
    project.include_projectwm()
    project.add_attribute("VersionCompatible32", "393222000")
    for name, guid, path, description in REFERENCES:
        libid = LibidReference(uuid.UUID(guid), "2.0", "0", path, description)
        project.add_reference(Reference(ReferenceRegistered(libid), name))

    with _ms_ovba_workspace() as workdir:
        modules: list[tuple[object, str]] = [
            (DocModule(name), _document_module_text(name, clsid)) for name, clsid in documents.items()
        ]
        modules += [(StdModule(name), text) for name, text in sources.items()]
        for module, text in modules:
            # ms-ovba reads "<file>.new" (the normalized source) and writes "<file>.bin".
            (workdir / f"{module.name}.new").write_bytes(text.encode("ascii"))
            module.add_file(module.name)
            module.add_workspace(0, 0, 0, 0, "C")
            project.add_module(module)
        ProjectOleFile.write_file(project)
        return (workdir / VBA_NAME).read_bytes()


# ---- package (zip) --------------------------------------------------------------------------------


def _xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(remove_blank_text=False, resolve_entities=False))


def _bytes(root: etree._Element) -> bytes:
    declaration = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    return declaration + etree.tostring(root, encoding="UTF-8")


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _resolve(source_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def _ensure_rel(rels: etree._Element, rel_type: str, target: str) -> None:
    """Add a relationship of ``rel_type`` to ``target`` unless one of that type exists."""
    if any(rel.get("Type") == rel_type for rel in rels):
        return
    ids = {rel.get("Id") for rel in rels}
    number = len(ids) + 1
    while f"rId{number}" in ids:
        number += 1
    etree.SubElement(rels, f"{{{REL_NS}}}Relationship", Id=f"rId{number}", Type=rel_type, Target=target)


def _rel_target(rels: etree._Element, rel_type: str) -> str | None:
    return next((rel.get("Target") for rel in rels if rel.get("Type") == rel_type), None)


def _read_zip(path: Path) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(path) as archive:
            return {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}
    except (zipfile.BadZipFile, OSError) as exc:
        raise MacroError(
            f"无法读取工作簿 {path}：{exc}。请确认它是 Excel 2007 及以上格式（.xlsx/.xlsm）。"
        ) from exc


def _write_zip(path: Path, parts: dict[str, bytes]) -> None:
    """Write ``parts`` as a zip at ``path`` atomically, ``[Content_Types].xml`` first."""
    order = sorted(parts, key=lambda name: name != "[Content_Types].xml")
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in order:
            archive.writestr(
                zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), parts[name], zipfile.ZIP_DEFLATED
            )


def _workbook_part(parts: dict[str, bytes]) -> str:
    try:
        root_rels = _xml(parts["_rels/.rels"])
        target = _rel_target(root_rels, REL_OFFICE_DOCUMENT)
    except (KeyError, etree.XMLSyntaxError) as exc:
        raise MacroError("工作簿缺少 _rels/.rels 或其内容损坏，无法加入宏。") from exc
    if target is None or _resolve("", target) not in parts:
        raise MacroError("工作簿中找不到主工作簿部件（xl/workbook.xml），无法加入宏。")
    return _resolve("", target)


def _set_codenames(parts: dict[str, bytes], workbook: str) -> tuple[str, list[str]]:
    """Give the workbook and each worksheet a VBA code name (keeping existing ones); return them."""
    main = f"{{{MAIN_NS}}}"
    book = _xml(parts[workbook])
    props = book.find(main + "workbookPr")
    if props is None:
        props = etree.Element(main + "workbookPr")
        anchor = [book.find(main + tag) for tag in ("fileVersion", "fileSharing")]
        position = max((book.index(el) + 1 for el in anchor if el is not None), default=0)
        book.insert(position, props)
    workbook_codename = props.get("codeName") or "ThisWorkbook"
    props.set("codeName", workbook_codename)
    parts[workbook] = _bytes(book)

    rels = _xml(parts[_rels_path(workbook)])
    targets = {rel.get("Id"): rel.get("Target") for rel in rels if rel.get("Type") == REL_WORKSHEET}
    sheets: list[tuple[str, etree._Element, etree._Element]] = []
    for sheet in book.iterfind(f"{main}sheets/{main}sheet"):
        rel_id = sheet.get(f"{{{DOC_REL_NS}}}id")
        if rel_id not in targets:
            continue  # a chartsheet or dialog sheet: no code module needed here
        part = _resolve(workbook, targets[rel_id])
        ws = _xml(parts[part])
        sheet_pr = ws.find(main + "sheetPr")
        if sheet_pr is None:
            sheet_pr = etree.Element(main + "sheetPr")
            ws.insert(0, sheet_pr)
        sheets.append((part, ws, sheet_pr))
    used = {workbook_codename.lower()} | {pr.get("codeName", "").lower() for _, _, pr in sheets}
    sheet_codenames: list[str] = []
    number = 0
    for part, ws, sheet_pr in sheets:
        if not sheet_pr.get("codeName"):
            number += 1
            while f"sheet{number}" in used:
                number += 1
            used.add(f"sheet{number}")
            sheet_pr.set("codeName", f"Sheet{number}")
            parts[part] = _bytes(ws)
        sheet_codenames.append(sheet_pr.get("codeName"))
    return workbook_codename, sheet_codenames


def _add_ribbon(parts: dict[str, bytes], customui: bytes) -> bool:
    """Put the ribbon part and its root relationship into ``parts``; True if anything changed."""
    if "_rels/.rels" not in parts:
        raise MacroError("工作簿缺少 _rels/.rels，无法加入功能区。")
    root_rels = _xml(parts["_rels/.rels"])
    target = _rel_target(root_rels, REL_RIBBON)
    if target is not None and _resolve("", target) in parts:
        return False
    if target is None:
        _ensure_rel(root_rels, REL_RIBBON, RIBBON_PART)
        parts["_rels/.rels"] = _bytes(root_rels)
        target = RIBBON_PART
    parts[_resolve("", target)] = customui
    return True


def macro_sources(macros_dir: Path = MACROS_DIR) -> tuple[list[Path], bytes]:
    """The .bas files and the ribbon XML in ``macros_dir``."""
    bas_files = sorted(macros_dir.glob("*.bas"))
    ribbon = macros_dir / RIBBON_FILE
    if not bas_files or not ribbon.is_file():
        raise MacroError(f"{macros_dir} 中缺少 .bas 源码或 {RIBBON_FILE}。")
    return bas_files, ribbon.read_bytes()


def make_macro_workbook(xlsx: Path, out: Path, *, macros_dir: Path = MACROS_DIR) -> Path:
    """Write ``out`` (.xlsm): ``xlsx`` plus the VBA project and ribbon built from ``macros_dir``."""
    xlsx, out = Path(xlsx), Path(out)
    if out.suffix.lower() not in (".xlsm", ".xltm"):
        raise MacroError(f"启用宏的工作簿必须以 .xlsm 结尾：{out.name}")
    bas_files, customui = macro_sources(macros_dir)
    check_sources(bas_files, customui)
    parts = _read_zip(xlsx)
    workbook = _workbook_part(parts)
    workbook_codename, sheet_codenames = _set_codenames(parts, workbook)

    types = _xml(parts["[Content_Types].xml"])
    ct = f"{{{CT_NS}}}"
    for override in types.iterfind(ct + "Override"):
        if override.get("PartName") == "/" + workbook:
            content_type = override.get("ContentType")
            override.set("ContentType", CT_MACRO_WORKBOOK.get(content_type, content_type))
    book_rels = _xml(parts[_rels_path(workbook)])
    _ensure_rel(book_rels, REL_VBA, VBA_NAME)
    vba_part = _resolve(workbook, _rel_target(book_rels, REL_VBA) or VBA_NAME)
    parts[_rels_path(workbook)] = _bytes(book_rels)
    defaults = {d.get("Extension", "").lower(): d.get("ContentType") for d in types.iterfind(ct + "Default")}
    overrides = {o.get("PartName") for o in types.iterfind(ct + "Override")}
    if defaults.get("bin") != CT_VBA and "/" + vba_part not in overrides:
        etree.SubElement(types, ct + "Override", PartName="/" + vba_part, ContentType=CT_VBA)
    parts["[Content_Types].xml"] = _bytes(types)

    parts[vba_part] = build_vba_project(
        bas_files, workbook_codename=workbook_codename, sheet_codenames=sheet_codenames
    )
    _add_ribbon(parts, customui)
    _write_zip(out, parts)
    return out


def build_macro_template(out: Path, rules: Scheme | None = None) -> Path:
    """``perfeval-xl template --macro``: the template of ``xlsx.build`` made macro-enabled, at ``out``."""
    from .build import build_template

    with tempfile.TemporaryDirectory(prefix="perfeval-template-") as tmp:
        plain = build_template(Path(tmp) / "template.xlsx", rules)
        return make_macro_workbook(plain, out)


def ensure_ribbon(path: Path, *, macros_dir: Path = MACROS_DIR) -> bool:
    """Re-add the ribbon to a saved .xlsm if a writer dropped it; True if the file was rewritten."""
    path = Path(path)
    parts = _read_zip(path)
    _, customui = macro_sources(macros_dir)
    if not _add_ribbon(parts, customui):
        return False
    _write_zip(path, parts)
    return True
