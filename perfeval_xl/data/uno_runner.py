"""Run one macro of a workbook in a LibreOffice that listens on a UNO pipe.

Runs under a Python that has the ``uno`` module (Debian: the system ``/usr/bin/python3`` with
``python3-uno``; Windows/macOS: the ``python`` bundled with LibreOffice), never the project venv.
``perfeval_xl.office.run_macro`` starts soffice, then runs this script with one JSON argument::

    {"pipe": "...", "connect_timeout": 60, "input": "/abs/in.xlsm",
     "macro_url": "vnd.sun.star.script:...", "save_to": "/abs/out.xlsx" | null, "filter": "..." | null}

It prints one JSON line on stdout: ``{"ok": true, "result": ...}`` or
``{"ok": false, "stage": "connect|load|macro|store", "error": "..."}``, and asks soffice to quit.
Standard library + uno only; keep it compatible with older bundled Pythons (3.8).
"""

import contextlib
import json
import sys
import time

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

ALWAYS_EXECUTE_NO_WARN = 4  # com.sun.star.document.MacroExecMode


def _props(**kwargs):
    out = []
    for name, value in kwargs.items():
        prop = PropertyValue()
        prop.Name = name
        prop.Value = value
        out.append(prop)
    return tuple(out)


def _plain(value):
    """A UNO return value as something JSON can carry."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return str(value)


class _Failure(Exception):
    def __init__(self, stage, error):
        super().__init__(error)
        self.stage = stage
        self.error = error


def _describe(exc):
    """The message of a UNO exception (its ``Message``) or of a Python one, plus nested causes."""
    parts = []
    seen = 0
    while exc is not None and seen < 5:
        message = getattr(exc, "Message", None) or str(exc)
        parts.append(type(exc).__name__ + ": " + message.strip())
        exc = getattr(exc, "TargetException", None)
        seen += 1
    return " | ".join(parts)


def _connect(pipe, timeout):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    url = f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext"
    deadline = time.monotonic() + timeout
    while True:
        try:
            return resolver.resolve(url)
        except NoConnectException as exc:
            if time.monotonic() > deadline:
                raise _Failure("connect", _describe(exc)) from exc
            time.sleep(0.1)


def run(job):
    ctx = _connect(job["pipe"], float(job.get("connect_timeout", 60)))
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    try:
        try:
            doc = desktop.loadComponentFromURL(
                uno.systemPathToFileUrl(job["input"]),
                "_blank",
                0,
                _props(Hidden=True, MacroExecutionMode=ALWAYS_EXECUTE_NO_WARN, ReadOnly=False),
            )
        except Exception as exc:
            raise _Failure("load", _describe(exc)) from exc
        if doc is None:
            raise _Failure("load", "LibreOffice returned no document")
        try:
            try:
                script = doc.getScriptProvider().getScript(job["macro_url"])
                result = script.invoke((), (), ())
            except Exception as exc:
                raise _Failure("macro", _describe(exc)) from exc
            value = result[0] if isinstance(result, tuple) and result else result
            if job.get("save_to"):
                try:
                    if hasattr(doc, "calculateAll"):
                        doc.calculateAll()
                    doc.storeToURL(
                        uno.systemPathToFileUrl(job["save_to"]),
                        _props(FilterName=job["filter"], Overwrite=True),
                    )
                except Exception as exc:
                    raise _Failure("store", _describe(exc)) from exc
            return _plain(value)
        finally:
            with contextlib.suppress(Exception):
                doc.close(True)
    finally:
        with contextlib.suppress(Exception):  # the bridge goes away while soffice quits
            desktop.terminate()


def main():
    job = json.loads(sys.argv[1])
    try:
        out = {"ok": True, "result": run(job)}
    except _Failure as exc:
        out = {"ok": False, "stage": exc.stage, "error": exc.error}
    except Exception as exc:
        out = {"ok": False, "stage": "runner", "error": _describe(exc)}
    sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return 0 if out["ok"] else 2


if __name__ == "__main__":
    sys.exit(main())
