"""The error report of an import: the user's own file with every problem cell filled red and
commented, and a first sheet listing every error (row, column letter, header, message), so that a
file with 3,000 errors can be fixed in Excel without a page that stops at the first thousand.

``write_error_report`` writes it; ``KeptUploads`` keeps an upload that had errors (and its errors)
for its uploader to download the report later:

- the file and its errors are kept under MEDIA_ROOT/imports/errors/<area>/<token>.xlsx (.json);
- the token is remembered in the uploader's session only, so nobody else can fetch another's report
  (the download is a 404 for any token not in the session, and for one of another ``scope``);
- bounded: a session keeps its last ``PER_SESSION`` reports of an area (older ones are removed at
  once), and any kept file older than ``KEEP_DAYS`` is removed when the next one is kept.

Only a file the guard opened is kept: an upload refused as a whole (not an .xlsx, too large) has
errors with no row, listed in full on the page, and no report.
"""
from __future__ import annotations

import io
import json
import secrets
import shutil
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from core.excel import cells
from core.excel.guard import XLSX_CONTENT_TYPE
from core.excel.reader import Issue

ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
ERROR_SHEET_TITLE = "导入错误"
MAX_COMMENT = 600
KEEP_DAYS = 7
PER_SESSION = 5


def write_error_report(source: IO[bytes], sheet: str, errors: Iterable[Issue], target: IO[bytes]) -> int:
    """Copy ``source`` to ``target`` with the errors marked on ``sheet``; returns the number of errors.

    A problem of a whole row (no column) marks the row's first cell; one of the whole file goes only
    to the list. The list is the first sheet, so the file opens on it. Every text of the list is
    written as a string cell: a header or a value quoted in a message that starts with "=" stays text.
    """
    workbook = load_workbook(source)  # the user's own file, already through the guard
    errors = sorted(errors, key=lambda issue: (issue.row or 0, issue.position))
    ws = workbook[sheet] if sheet in workbook.sheetnames else workbook.active
    by_cell: dict[tuple[int, int], list[str]] = defaultdict(list)
    for issue in errors:
        if issue.row:
            by_cell[(issue.row, issue.position or 1)].append(issue.message)
    for (row, column), messages in by_cell.items():
        cell = ws.cell(row=row, column=column)
        cell.fill = ERROR_FILL
        text = "\n".join(messages)
        cell.comment = Comment(text[:MAX_COMMENT], "diaodu")
    title = ERROR_SHEET_TITLE
    while title in workbook.sheetnames:
        title += "_"
    listing = workbook.create_sheet(title, 0)
    headers = [_("行"), _("列"), _("列名"), _("错误")]
    listing.append([cells.header_cell(listing, text, cells.REQUIRED_FILL) for text in headers])
    for issue in errors:
        cells.append(listing, [issue.row, issue.letter, issue.column, issue.message])
    for letter, width in zip("ABCD", (8, 8, 20, 80), strict=True):
        listing.column_dimensions[letter].width = width
    listing.freeze_panes = "A2"
    listing["A1"].font = Font(bold=True)
    workbook.active = 0
    workbook.save(target)
    return len(errors)


def error_report_bytes(path: Any, sheet: str, errors: Iterable[Issue]) -> bytes:
    """The report of the file at ``path``, as bytes."""
    out = io.BytesIO()
    with open(path, "rb") as handle:
        write_error_report(handle, sheet, errors, out)
    return out.getvalue()


def report_response(data: bytes, upload_name: str, *, fallback: str = "import") -> HttpResponse:
    """The report as a download named after the user's file ("<name>-错误报告.xlsx")."""
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    stem = Path(upload_name).stem or fallback
    disposition = content_disposition_header(True, _("%(name)s-错误报告.xlsx") % {"name": stem})
    response["Content-Disposition"] = disposition or "attachment"
    return response


def has_report(errors: Sequence[Issue]) -> bool:
    """Whether the errors are worth a report: at least one is in a row (the file was opened and read)."""
    return any(issue.row for issue in errors)


class KeptUploads:
    """Uploads with errors kept for their uploader's error report; see the module's docstring."""

    def __init__(self, area: str, *, keep_days: int = KEEP_DAYS, per_session: int = PER_SESSION) -> None:
        assert area.isidentifier(), area
        self.area = area
        self.keep_days = keep_days
        self.per_session = per_session
        self.session_key = f"excel_error_reports:{area}"

    def folder(self) -> Path:
        return Path(settings.MEDIA_ROOT) / "imports" / "errors" / self.area

    # --- keeping -------------------------------------------------------------------------

    def keep(self, upload: Any, *, name: str, sheet: str, errors: Sequence[Issue], scope: str = "") -> str | None:
        """Keep an uploaded file (a Django ``UploadedFile`` or any file object) and its errors; the token."""
        if not has_report(errors):
            return None
        token, folder = self._start()
        upload.seek(0)
        with (folder / f"{token}.xlsx").open("wb") as handle:
            for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
                handle.write(chunk)
        upload.seek(0)
        self._write_errors(token, name=name, sheet=sheet, errors=errors, scope=scope)
        return token

    def keep_path(self, path: Path, *, name: str, sheet: str, errors: Sequence[Issue], scope: str = "") -> str | None:
        """Keep a file already on disk (the worker's copy of an upload) by moving it; the token."""
        if not has_report(errors):
            return None
        token, folder = self._start()
        shutil.move(str(path), folder / f"{token}.xlsx")
        self._write_errors(token, name=name, sheet=sheet, errors=errors, scope=scope)
        return token

    def keep_for(self, request: HttpRequest, upload: Any, *, sheet: str, errors: Sequence[Issue],
                 scope: str = "") -> str | None:
        """``keep`` the request's upload and remember its token in the uploader's session."""
        token = self.keep(upload, name=str(getattr(upload, "name", "") or ""), sheet=sheet, errors=errors,
                          scope=scope)
        if token is not None:
            self.remember(request, token)
        return token

    def remember(self, request: HttpRequest, token: str) -> None:
        """The session may download ``token``'s report; its oldest beyond ``per_session`` are removed."""
        kept: list[str] = [t for t in request.session.get(self.session_key, []) if t != token]
        kept.append(token)
        while len(kept) > self.per_session:
            self._remove(kept.pop(0))
        request.session[self.session_key] = kept

    def exists(self, token: str) -> bool:
        """Whether ``token``'s file is still kept (not yet removed as too old or beyond a session's last)."""
        return token.isalnum() and (self.folder() / f"{token}.xlsx").is_file()

    def _start(self) -> tuple[str, Path]:
        folder = self.folder()
        folder.mkdir(parents=True, exist_ok=True)
        self._forget_old(folder)
        return secrets.token_hex(16), folder

    def _write_errors(self, token: str, *, name: str, sheet: str, errors: Sequence[Issue], scope: str) -> None:
        data = {
            "name": name[:200], "sheet": sheet, "scope": scope,
            "errors": [[issue.row, issue.column, issue.message, issue.position] for issue in errors],
        }
        (self.folder() / f"{token}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    def _forget_old(self, folder: Path) -> None:
        limit = time.time() - self.keep_days * 86400
        for old in folder.iterdir():
            if old.suffix in {".xlsx", ".json"} and old.stat().st_mtime < limit:
                old.unlink(missing_ok=True)

    def _remove(self, token: str) -> None:
        if token.isalnum():
            for suffix in (".xlsx", ".json"):
                (self.folder() / f"{token}{suffix}").unlink(missing_ok=True)

    # --- the download --------------------------------------------------------------------

    def load(self, request: HttpRequest, token: str, *, scope: str = "") -> tuple[Path, dict[str, Any]]:
        """The kept file and its data, if ``token`` is this session's and of ``scope``; else 404."""
        if not token.isalnum() or token not in request.session.get(self.session_key, []):
            raise Http404
        path, meta = self.folder() / f"{token}.xlsx", self.folder() / f"{token}.json"
        if not path.is_file() or not meta.is_file():
            raise Http404
        data = json.loads(meta.read_text(encoding="utf-8"))
        if data.get("scope", "") != scope:
            raise Http404
        return path, data

    def response(self, request: HttpRequest, token: str, *, scope: str = "") -> HttpResponse:
        """The error report (.xlsx) of this session's kept upload ``token``; 404 for anyone else's."""
        path, data = self.load(request, token, scope=scope)
        errors = [Issue(row, column, message, position) for row, column, message, position in data["errors"]]
        return report_response(error_report_bytes(path, data["sheet"], errors), data["name"])
