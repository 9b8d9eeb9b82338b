"""manage.py bulletin_export: a published period's bulletin files, written to a folder for scripts and archives."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
from io import StringIO
from pathlib import Path
from typing import Any

import docx
import pytest
from django.core.management import CommandError, call_command

from core.models import Period
from dispatch.bulletins import jobs
from dispatch.bulletins import pdf as pdf_module
from dispatch.bulletins.pdf import PdfError
from dispatch.models import Bulletin
from dispatch.periods import services

# The shared fixture; "as april" marks the re-export, so the test arguments do not read as redefinitions.
from dispatch.tests.test_bulletin_figures import april as april
from dispatch.tests.test_bulletin_pdf import require_libreoffice
from org.models import User

DOCX, XLSX, PDF = "2026年4月调度通报.docx", "2026年4月调度通报附表.xlsx", "2026年4月调度通报.pdf"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DIAODU_LIBREOFFICE = ""  # no PDF unless a test installs one
    return tmp_path / "media"


def export(*args: str) -> str:
    out = StringIO()
    call_command("bulletin_export", *args, stdout=out)
    return out.getvalue()


def test_it_writes_the_word_and_excel_files_the_job_writes(
    april: dict[str, Any], personas: dict[str, User], tmp_path: Path
) -> None:
    bulletin = jobs.bulletin_generate(period=april["period"], by=personas["office"])
    folder = tmp_path / "archive" / "2026"
    printed = export("2026", "4", "--out", str(folder))
    assert sorted(p.name for p in folder.iterdir()) == sorted([DOCX, XLSX])
    # The same bytes as the bulletin generated on the page: the figures come from the snapshots only.
    assert hashlib.sha256((folder / DOCX).read_bytes()).hexdigest() == bulletin.docx_sha256
    assert hashlib.sha256((folder / XLSX).read_bytes()).hexdigest() == bulletin.xlsx_sha256
    assert f"{folder / DOCX}  sha256 {bulletin.docx_sha256}" in printed
    assert "不同" not in printed
    assert "未安装 LibreOffice，未生成 PDF" in printed
    # The Word document's 附件说明 names the Excel file written beside it.
    text = [p.text for p in docx.Document(io.BytesIO((folder / DOCX).read_bytes())).paragraphs]
    assert f"附件：{XLSX}" in text


def test_it_needs_no_bulletin_generated_before(april: dict[str, Any], tmp_path: Path) -> None:
    export("2026", "4", "--out", str(tmp_path))
    assert (tmp_path / DOCX).read_bytes()[:2] == b"PK" and (tmp_path / XLSX).read_bytes()[:2] == b"PK"
    assert not Bulletin.objects.exists()  # nothing in the database changes


def test_it_adds_the_pdf_where_libreoffice_converts(
    april: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    given: list[bytes] = []

    def convert(docx_bytes: bytes, heartbeat: Any = None) -> bytes:
        given.append(docx_bytes)
        return b"%PDF-1.7 bulletin"

    monkeypatch.setattr(jobs, "build_pdf", convert)
    printed = export("2026", "4", "--out", str(tmp_path))
    assert (tmp_path / PDF).read_bytes() == b"%PDF-1.7 bulletin"
    assert given == [(tmp_path / DOCX).read_bytes()]
    assert f"{tmp_path / PDF}  sha256 {hashlib.sha256(b'%PDF-1.7 bulletin').hexdigest()}" in printed
    assert "未安装" not in printed


def test_it_converts_with_libreoffice(april: dict[str, Any], tmp_path: Path, settings: Any) -> None:
    soffice, _pdftotext = require_libreoffice()
    settings.DIAODU_LIBREOFFICE = soffice
    export("2026", "4", "--out", str(tmp_path))
    assert (tmp_path / PDF).read_bytes().startswith(b"%PDF")


def test_a_failed_conversion_still_writes_word_and_excel_and_fails(
    april: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def overrun(docx_bytes: bytes, heartbeat: Any = None) -> bytes:
        raise PdfError("LibreOffice 转换超时（超过 300 秒），已终止。")

    monkeypatch.setattr(pdf_module, "libreoffice_available", lambda: True)
    monkeypatch.setattr(jobs, "build_pdf", overrun)
    with pytest.raises(CommandError, match="PDF 未能生成（Word 和 Excel 已写入）：LibreOffice 转换超时"):
        export("2026", "4", "--out", str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == sorted([DOCX, XLSX])


def test_it_says_when_the_stored_files_differ(
    april: dict[str, Any], personas: dict[str, User], tmp_path: Path
) -> None:
    bulletin = jobs.bulletin_generate(period=april["period"], by=personas["office"])
    Bulletin.objects.filter(pk=bulletin.pk).update(docx_sha256="0" * 64)
    printed = export("2026", "4", "--out", str(tmp_path))
    assert printed.count("与本期已生成保存的文件不同") == 1  # the Word document only


def test_an_unpublished_period_is_refused(
    april: dict[str, Any], personas: dict[str, User], tmp_path: Path
) -> None:
    services.period_open(year=2026, month=5, by=personas["office"])
    with pytest.raises(CommandError, match="2026年5月尚未发布（填报中），通报只能取自发布时冻结的数据"):
        export("2026", "5", "--out", str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("args", "message"), [
    (("2026", "9"), "没有2026年9月的调度期"),
    (("2025", "4"), "没有2025年4月的调度期"),
    (("2026", "13"), "月份应为 1–12，收到 13"),
    (("2026", "4", "--half", "1"), "没有2026年4月上半月的调度期"),
])
def test_a_missing_period_is_named(
    april: dict[str, Any], tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        export(*args, "--out", str(tmp_path))


def test_a_half_month_district_names_the_half(april: dict[str, Any], tmp_path: Path) -> None:
    for half in (1, 2):
        Period.objects.create(kind=Period.Kind.HALF, year=2026, month=6, half=half,
                              opens_on=dt.date(2026, 6, 1), deadline=dt.date(2026, 6, 25))
    with pytest.raises(CommandError, match=r"2026年6月按半月调度，请用 --half 1（上半月）或 --half 2（下半月）指定"):
        export("2026", "6", "--out", str(tmp_path))
    with pytest.raises(CommandError, match="2026年6月上半月尚未发布"):
        export("2026", "6", "--half", "1", "--out", str(tmp_path))


def test_an_unwritable_folder_is_named(april: dict[str, Any], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(CommandError, match=f"无法写入 {blocker / 'out'}"):
        export("2026", "4", "--out", str(blocker / "out"))

