"""Zip packages from parts, some of them compressed ahead of time (the batch fill's output format).

The standard library's ``zipfile`` compresses every part it writes; it cannot store bytes that are
already DEFLATE-compressed. The batch fill writes thousands of workbooks whose parts are mostly the same
in every one (styles, theme, the sheets no unit changes): those are compressed once per process
(``deflate(data, BEST)``) and written into every zip as they are, with their CRC-32 and sizes; only the
parts that change are compressed per workbook, with ISA-L (``isal``, Intel's DEFLATE library, the
fastest of the maintained Python bindings measured here, ahead of libdeflate's ``deflate`` and
``zlib-ng``) at level 1. A part whose end is the same in many workbooks can be compressed as an open head
(``deflate_open``) joined to an end compressed once (``join``).

The container is plain ZIP (PKWARE APPNOTE 6.3.x, the subset OOXML uses, ECMA-376 Part 2 §8 and
Annex C): per part a local file header and its data, then the central directory and its end record;
method 8 (deflate), no data descriptors, no ZIP64 (a part or a package over 4 GiB is refused), names in
UTF-8 (flag bit 11 when not ASCII), a fixed date (1980-01-01) so equal contents give equal files.
Excel, LibreOffice, openpyxl, python-calamine and ``zipfile.testzip`` read these files
(tests/test_fastfill.py).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from isal import isal_zlib

#: ISA-L level for the parts compressed per workbook (0–3; 1 and 2 are equally fast here, 3 is 4× slower
#: for 1 % smaller output, 0 makes 30 % larger output).
FAST = 1
#: zlib level for the parts compressed once per process.
BEST = 9

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_VERSION = 20  # 2.0: deflate
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01
_DOS_TIME = 0
_UTF8 = 0x800
_LIMIT = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class Deflated:
    """A part's raw DEFLATE stream (no zlib header), its CRC-32 and its size before compression."""

    data: bytes
    crc: int
    size: int


def deflate(data: bytes, level: int = FAST) -> Deflated:
    """Compress ``data`` as one raw DEFLATE stream: ISA-L at ``level`` (0–3), or zlib for ``BEST``."""
    if level == BEST:
        packer = zlib.compressobj(BEST, zlib.DEFLATED, -15)
        body = packer.compress(data) + packer.flush()
    else:
        body = isal_zlib.compress(data, level, -15)
    return Deflated(body, isal_zlib.crc32(data), len(data))


def deflate_open(data: bytes, level: int = FAST) -> Deflated:
    """``data`` as DEFLATE blocks that leave the stream open (ended by a sync flush, on a byte boundary),
    for ``join`` to put a tail after them."""
    packer = isal_zlib.compressobj(level, isal_zlib.DEFLATED, -15)
    body = packer.compress(data) + packer.flush(isal_zlib.Z_SYNC_FLUSH)
    return Deflated(body, isal_zlib.crc32(data), len(data))


def join(head: Deflated, tail: Deflated) -> Deflated:
    """One part from an open head (``deflate_open``) and a complete stream compressed on its own.

    The result is a valid DEFLATE stream (RFC 1951: the head's blocks are not final, the tail refers to
    nothing before it) whose CRC-32 is combined from the two (ISA-L's ``crc32_combine``), so a tail that
    is the same in many parts is compressed once.
    """
    crc = isal_zlib.crc32_combine(head.crc, tail.crc, tail.size)
    return Deflated(head.data + tail.data, crc, head.size + tail.size)


def pack(parts: Iterable[tuple[str, Deflated]]) -> bytes:
    """The bytes of a zip file holding ``parts`` (name, compressed part) in order."""
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for name, part in parts:
        raw = name.encode("utf-8")
        flags = 0 if raw.isascii() else _UTF8
        if part.size > _LIMIT or len(part.data) > _LIMIT or offset > _LIMIT:
            raise ValueError(f"{name}: 超过 4 GiB，无法写入不带 ZIP64 的工作簿。")
        head = _LOCAL.pack(
            0x04034B50,
            _VERSION,
            flags,
            8,
            _DOS_TIME,
            _DOS_DATE,
            part.crc,
            len(part.data),
            part.size,
            len(raw),
            0,
        )
        central.append(
            _CENTRAL.pack(
                0x02014B50,
                _VERSION,
                _VERSION,
                flags,
                8,
                _DOS_TIME,
                _DOS_DATE,
                part.crc,
                len(part.data),
                part.size,
                len(raw),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + raw
        )
        out += (head, raw, part.data)
        offset += len(head) + len(raw) + len(part.data)
    directory = b"".join(central)
    if offset > _LIMIT or len(central) > 0xFFFF:
        raise ValueError("工作簿过大，无法写入不带 ZIP64 的 zip 文件。")
    end = _END.pack(0x06054B50, 0, 0, len(central), len(central), len(directory), offset, 0)
    return b"".join([*out, directory, end])
