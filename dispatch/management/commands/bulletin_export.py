"""Write a published period's bulletin to a folder: ``manage.py bulletin_export 2026 11 --out DIR``.

For scripts and archives. The .docx and .xlsx are built from the period's frozen snapshots, as
the bulletin job builds them (the same figures, the same publication time, so the same bytes
as a bulletin generated now), and the PDF where LibreOffice is installed. The files take the
names a browser saves them under, so the Word document's 附件说明 names the Excel file beside
it. Nothing in the database changes. A district that reports by half-month names the half
with ``--half 1`` or ``--half 2``.

When the period's bulletin was generated before and its stored files differ from these (the
program that writes them has changed since), the command says so: the stored files are what was
issued, and stay downloadable on the bulletin page.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from core import district
from core.models import Period
from dispatch.bulletins import jobs
from dispatch.bulletins.pdf import PdfError
from dispatch.models import Bulletin


def _period(year: int, month: int, half: int | None) -> Period:
    if not 1 <= month <= 12:
        raise CommandError(f"月份应为 1–12，收到 {month} / MONTH must be 1–12")
    periods = Period.objects.filter(year=year, month=month, kind__in=[Period.Kind.MONTH, Period.Kind.HALF])
    if half is not None:
        periods = periods.filter(half=half)
    found = list(periods.order_by("half"))
    if not found:
        which = f"{year}年{month}月" + ("" if half is None else ("上半月" if half == 1 else "下半月"))
        raise CommandError(f"没有{which}的调度期 / no dispatch period {year}-{month:02d}")
    if len(found) > 1:
        raise CommandError(
            f"{year}年{month}月按半月调度，请用 --half 1（上半月）或 --half 2（下半月）指定 / "
            "the month has two halves: give --half 1 or --half 2"
        )
    period = found[0]
    if period.state != Period.State.PUBLISHED:
        raise CommandError(
            f"{period.label}尚未发布（{period.get_state_display()}），通报只能取自发布时冻结的数据 / "
            "the period is not published"
        )
    return period


class Command(BaseCommand):
    help = "导出已发布调度期的通报（Word、Excel 附表，装有 LibreOffice 时另有 PDF）/ Export a published bulletin"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("year", type=int, help="e.g. 2026")
        parser.add_argument("month", type=int, help="1–12")
        parser.add_argument("--half", type=int, choices=(1, 2), help="1 or 2, where the district reports by half-month")
        parser.add_argument("--out", required=True, help="folder to write the files to (created if missing)")

    def handle(self, *args: Any, year: int, month: int, half: int | None, out: str, **options: Any) -> None:
        # In the district's language and with one set of its settings, as the bulletin job writes it.
        with translation.override(settings.LANGUAGE_CODE), district.scope():
            period = _period(year, month, half)
            figures = jobs.build_figures(period)
            when = period.published_at
            files = {"docx": jobs.build_docx(figures, when), "xlsx": jobs.build_xlsx(figures, when)}
            pdf_error = ""
            try:
                pdf = jobs.build_pdf(files["docx"])
            except PdfError as exc:
                pdf, pdf_error = None, str(exc)
            if pdf is not None:
                files["pdf"] = pdf
            names = dict(zip(("docx", "xlsx", "pdf"), jobs.download_names(period), strict=True))
            folder = Path(out)
            try:
                folder.mkdir(parents=True, exist_ok=True)
                for kind, data in files.items():
                    (folder / names[kind]).write_bytes(data)
            except OSError as exc:
                raise CommandError(f"无法写入 {folder}：{exc} / cannot write to the folder") from exc
            stored = Bulletin.objects.filter(period=period, state=Bulletin.State.DONE).first()
            for kind, data in files.items():
                digest = hashlib.sha256(data).hexdigest()
                self.stdout.write(f"{folder / names[kind]}  sha256 {digest}")
                # The stored PDF is never the same bytes (LibreOffice stamps the time): only Word and Excel compare.
                issued = getattr(stored, f"{kind}_sha256", "") if kind != "pdf" else ""
                if issued and issued != digest:
                    self.stdout.write(self.style.WARNING(
                        "  与本期已生成保存的文件不同（生成程序已更新）；已发出的文件仍可在通报页面下载"
                        " / differs from the bulletin stored for the period"
                    ))
            if pdf_error:
                raise CommandError(f"PDF 未能生成（Word 和 Excel 已写入）：{pdf_error} / no PDF")
            if "pdf" not in files:
                self.stdout.write("未安装 LibreOffice，未生成 PDF / LibreOffice is not installed: no PDF")
