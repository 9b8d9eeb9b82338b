"""Is an uploaded .xlsx safe to open? The decompression guard, the safe open and the streaming reader.

``open_upload`` checks the bytes and the zip directory before openpyxl sees the file (size,
members, declared and compressed sizes, encryption, macros) and counts the cells of the sheets in
the raw XML, so a file that would exceed a limit is refused in well under a second; only then is
the workbook opened read-only and a sheet streamed by ``read_sheet``, which keeps only the cells
that hold something and stops at the row limit.
"""
from __future__ import annotations

import io
import logging
import re
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.worksheet.cell_range import CellRange

log = logging.getLogger(__name__)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 20_000
# A full 20,000-row export with long texts unpacks to about 60 MB of sheet XML (inline strings).
MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024
MAX_ZIP_MEMBERS = 2_000
# Sheet XML compresses 10-30 times; a sheet of one row repeated a million times, 1000 times.
MAX_RATIO = 200
RATIO_FLOOR_BYTES = 1024 * 1024
# Cells (and rows) written in all the sheets, counted in the raw XML before parsing: 20,000 rows
# of the ledger's 32 columns are 640,000.
MAX_CELLS = 1_000_000
MAX_ROW_ELEMENTS = 5 * MAX_ROWS
MAX_STRINGS = MAX_CELLS
SCAN_CHUNK = 1024 * 1024

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
MACRO_EXTENSIONS = (".xlsm", ".xltm", ".xlam")
OTHER_EXTENSIONS = (".xls", ".xlsb", ".csv", ".ods", ".et", ".wps")


class FileRejected(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ReadCell:
    """What the importers need of a cell: its value and openpyxl's type ("s", "n", "f", "e", ...)."""

    value: Any
    data_type: str


@dataclass
class SheetData:
    cells: dict[tuple[int, int], ReadCell] = field(default_factory=dict)
    merged: list[CellRange] = field(default_factory=list)


def _sniff(head: bytes) -> str | None:
    """A message for a file that is recognisably not an xlsx, else None."""
    if head.startswith(OLE2_MAGIC):
        return _("这是旧版 Excel 97-2003（.xls）文件或加密的 Excel 文件。请在 Excel 中取消密码并“另存为”"
                 "Excel 工作簿（.xlsx）后再上传。")
    if head.startswith(ZIP_MAGICS):
        return None
    images = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"%PDF-")
    if head.startswith(images):
        return _("上传的是图片或 PDF，不是 Excel 文件。请上传 .xlsx 格式的 Excel 工作簿。")
    if _looks_like_text(head):
        return _("上传的是文本或 CSV 文件，不是 Excel 工作簿。请在 Excel 中打开后“另存为”.xlsx 格式再上传。")
    return _("无法识别该文件，它不是 Excel 工作簿（.xlsx）。")


def _looks_like_text(head: bytes) -> bool:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError as error:
            if error.start < len(head) - 4:
                continue
            # Only the last character was cut off by the sniffing window.
            text = head[: error.start].decode(encoding, errors="ignore")
        return bool(text) and all(ch.isprintable() or ch in "\t\r\n" for ch in text)
    return False


def _macro_message() -> str:
    return _("这是启用宏的 Excel 文件（.xlsm），不能导入。请在 Excel 中“另存为”Excel 工作簿（.xlsx）后再上传。")


def _too_big() -> FileRejected:
    return FileRejected(
        _("文件解压后的内容超过上限（%(limit).0f MB、%(cells)d 个单元格、%(rows)d 行），不能导入。"
          "请删除无关的工作表、图片后再上传，或分批导入。")
        % {"limit": MAX_UNCOMPRESSED_BYTES / 1024 / 1024, "cells": MAX_CELLS, "rows": MAX_ROWS}
    )


_CELL_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_ROW_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
_SI_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")


def _count(archive: zipfile.ZipFile, name: str, pattern: re.Pattern[bytes], limit: int) -> int:
    """Occurrences of ``pattern`` in a member, read in chunks; stops as soon as ``limit`` is passed."""
    total = 0
    tail = b""
    with archive.open(name) as member:
        while chunk := member.read(SCAN_CHUNK):
            # Keep the end of the previous chunk so a tag cut in two is counted once.
            text = tail + chunk
            cut = max(0, len(text) - 16)
            total += len(pattern.findall(text, 0, cut))
            tail = text[cut:]
            if total > limit:
                return total
    return total + len(pattern.findall(tail))


def _check_archive(archive: zipfile.ZipFile, name: str) -> None:
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise FileRejected(
            _("文件包含 %(count)d 个部件，不像是正常的 Excel 工作簿，不能导入。") % {"count": len(members)}
        )
    names = {info.filename for info in members}
    if len(names) != len(members):
        raise FileRejected(_("文件中有重名的部件，不像是正常的 Excel 工作簿，不能导入。"))
    for info in members:
        if info.flag_bits & 0x1:
            raise FileRejected(_("文件已加密。请在 Excel 中取消密码并另存为 .xlsx 后再上传。"))
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise FileRejected(_("文件使用了不支持的压缩方式，请在 Excel 中打开并重新保存后再上传。"))
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            raise FileRejected(_macro_message())
        raise FileRejected(_("这是一个 zip 压缩包，但不是 Excel 工作簿（.xlsx）。请上传 .xlsx 文件。"))
    types_info = archive.getinfo("[Content_Types].xml")
    content_types = archive.read(types_info) if types_info.file_size < RATIO_FLOOR_BYTES else b""
    if (
        name.lower().endswith(MACRO_EXTENSIONS)
        or any(n.lower().endswith("vbaproject.bin") for n in names)
        or b"macroEnabled" in content_types
    ):
        raise FileRejected(_macro_message())
    if b"template.main" in content_types or b"addin" in content_types:
        raise FileRejected(
            _("这是 Excel 模板或加载项，不是工作簿。请在 Excel 中“另存为”Excel 工作簿（.xlsx）后再上传。")
        )
    # zipfile never inflates a member beyond its declared size (the CRC check fails), so the
    # directory's sizes are the sizes.
    declared = sum(info.file_size for info in members)
    if declared > MAX_UNCOMPRESSED_BYTES:
        raise FileRejected(
            _("文件解压后为 %(size).0f MB，超过上限 %(limit).0f MB，不能导入。")
            % {"size": declared / 1024 / 1024, "limit": MAX_UNCOMPRESSED_BYTES / 1024 / 1024}
        )
    for info in members:
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _too_big()
    cells = rows = 0
    for info in members:
        member = info.filename
        if member.startswith("xl/worksheets/") and member.endswith(".xml"):
            cells += _count(archive, member, _CELL_RE, MAX_CELLS - cells)
            rows += _count(archive, member, _ROW_RE, MAX_ROW_ELEMENTS - rows)
            if cells > MAX_CELLS or rows > MAX_ROW_ELEMENTS:
                raise _too_big()
        # openpyxl loads every shared string when it opens the file, even read-only.
        elif member == "xl/sharedStrings.xml" and _count(archive, member, _SI_RE, MAX_STRINGS) > MAX_STRINGS:
            raise _too_big()


def open_upload(upload: Any) -> Any:
    """Check an uploaded .xlsx and open it read-only; raises FileRejected with the reason in words.

    The caller closes the workbook (``workbook.close()``) when it has read it.
    """
    limit = settings.DIAODU_MAX_UPLOAD_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise FileRejected(
            _("文件大小为 %(size).1f MB，超过上限 %(limit).0f MB。请删除无关的工作表、图片后再上传，或分批导入。")
            % {"size": size / 1024 / 1024, "limit": limit / 1024 / 1024}
        )
    name = str(getattr(upload, "name", "") or "")
    upload.seek(0)
    head = upload.read(512)
    if not head:
        raise FileRejected(_("上传的文件是空的（0 字节）。"))
    if message := _sniff(head):
        raise FileRejected(message)
    if name.lower().endswith(OTHER_EXTENSIONS):
        raise FileRejected(_("只能上传 Excel 工作簿（.xlsx）。请在 Excel 中“另存为”.xlsx 格式后再上传。"))
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:  # a file object that did not tell its size
        raise FileRejected(_("文件超过上限 %(limit).0f MB。") % {"limit": limit / 1024 / 1024})
    broken = _("文件已损坏，或不是有效的 Excel 工作簿（.xlsx）。请在 Excel 中打开并重新保存后再上传。")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_archive(archive, name)
    except FileRejected:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, KeyError) as error:
        raise FileRejected(broken) from error
    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it drops (extensions, unsupported validations).
            warnings.simplefilter("ignore")
            return load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception as error:  # openpyxl raises many types for damaged parts; all mean the same to the user
        log.warning("excel import: openpyxl could not load the file: %r", error)
        raise FileRejected(broken) from error


def hidden_sheets(workbook: Any, *, but: Sequence[str] = ()) -> list[str]:
    """Titles of the hidden and very hidden sheets, except those named in ``but``."""
    return [ws.title for ws in workbook.worksheets if ws.sheet_state != "visible" and ws.title not in but]


def hidden_warning(names: Sequence[str]) -> str:
    return _("文件中有隐藏的工作表：%(names)s。隐藏工作表中的内容不会导入，已忽略。") % {"names": "、".join(names)}


def read_sheet(ws: Any, *, max_rows: int | None = None, first_data_row: int = 2) -> SheetData:
    """The cells of a read-only sheet that hold something, and its merged ranges.

    Rows from ``first_data_row`` with a value are counted; at ``max_rows + 1`` (by default
    ``MAX_ROWS``, read when called) the file is refused at once, without reading the rest.
    """
    if max_rows is None:
        max_rows = MAX_ROWS
    from openpyxl.worksheet._reader import WorkSheetParser

    workbook = ws.parent
    sheet = SheetData()
    data_rows = 0
    broken = _("文件已损坏，或不是有效的 Excel 工作簿（.xlsx）。请在 Excel 中打开并重新保存后再上传。")
    try:
        with ws._get_source() as source:
            parser = WorkSheetParser(
                source, ws._shared_strings, data_only=False, epoch=workbook.epoch,
                date_formats=workbook._date_formats, timedelta_formats=workbook._timedelta_formats,
            )
            for number, row in parser.parse():
                kept = False
                for cell in row:
                    value = cell["value"]
                    if value is None or value == "":
                        continue
                    sheet.cells[(cell["row"], cell["column"])] = ReadCell(value, cell["data_type"])
                    kept = True
                if kept and number >= first_data_row:
                    data_rows += 1
                    if data_rows > max_rows:
                        raise FileRejected(
                            _("文件的数据超过上限 %(limit)d 行，请分批导入。") % {"limit": max_rows}
                        )
            if parser.merged_cells is not None:
                sheet.merged = [CellRange(merged.ref) for merged in parser.merged_cells.mergeCell]
    except FileRejected:
        raise
    except Exception as error:  # a damaged sheet part; see open_upload
        log.warning("excel import: openpyxl could not read a sheet: %r", error)
        raise FileRejected(broken) from error
    return sheet
