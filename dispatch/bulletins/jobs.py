"""Bulletin generation: generating a bulletin takes longer than a request should wait.

:func:`bulletin_generate` queues the bulletin and its task (dispatch/tasks.py), which the worker
process (``manage.py db_worker``) runs; the tests run it inline. Every step of the build writes a
heartbeat to the bulletin and to its job (core/tasks.py); a worker killed mid-build is noticed by
the next worker, which queues the build again or, with no attempt left, marks it failed, so no
bulletin stays "running" — and a bulletin whose heartbeat is older than ``STALE_AFTER`` is shown
as interrupted at once, and the office may start it again.

A bulletin goes pending → running (with progress 0–100 and the step in words) → done, or
failed with the error. New files are written under new names and linked only when all are
complete, so a failure or a restart leaves no half file behind, and during a regeneration
(or after one that failed) the previous files stay linked and downloadable. Once done, the
files are never regenerated silently: regeneration is an explicit office action, recorded in
the audit log with the old files' names and hashes, and since the figures come only from the
period's snapshots it produces the same numbers.

Where LibreOffice is installed the Word document is also converted to PDF
(dispatch.bulletins.pdf). The PDF is an extra: a conversion that fails or overruns leaves the
bulletin done with its .docx and .xlsx, no PDF, and the reason in ``error``, which the page
shows; a regeneration never keeps an older PDF next to newer Word and Excel files.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.services import audit_record, audit_snapshot
from core import tasks as core_tasks
from core.models import Period
from dispatch.bulletins import figures as figures_module
from dispatch.bulletins import pdf as pdf_module
from dispatch.bulletins.docx import annex_name, bulletin_docx
from dispatch.bulletins.xlsx import bulletin_xlsx
from dispatch.models import Bulletin
from dispatch.periods.services import DispatchError
from org.models import User

logger = logging.getLogger(__name__)

# Longer than any one step takes (the bulletin of 20,000 projects builds in about 10 s in all).
STALE_AFTER = core_tasks.STALE_AFTER


def bulletin_is_stale(bulletin: Bulletin, now: dt.datetime | None = None) -> bool:
    """Pending or running with no sign of life for longer than a step can take: its process has died."""
    if bulletin.state not in {Bulletin.State.PENDING, Bulletin.State.RUNNING}:
        return False
    alive = bulletin.heartbeat_at or bulletin.started_at
    return alive is None or (now or timezone.now()) - alive > STALE_AFTER


def file_names(period: Period) -> tuple[str, str, str]:
    """Names in storage (ASCII, under the period's folder) for the Word, Excel and PDF files."""
    base = f"bulletin-{period.year}-{period.month:02d}-{period.half}"
    return f"{base}.docx", f"{base}.xlsx", f"{base}.pdf"


def download_names(period: Period) -> tuple[str, str, str]:
    """Names the user's browser saves the files as (and ``bulletin_export`` writes); the Word
    document's 附件说明 names the Excel annex by this name."""
    return (
        _("%(period)s调度通报.docx") % {"period": period.label},
        annex_name(period.label),
        _("%(period)s调度通报.pdf") % {"period": period.label},
    )


@transaction.atomic
def bulletin_request(*, period: Period, by: Any, regenerate: bool = False) -> Bulletin:
    """Queue a bulletin: pending; a regeneration keeps the previous files linked until new ones are complete."""
    if period.state != Period.State.PUBLISHED:
        raise DispatchError(_("%(period)s尚未发布，发布后才能生成通报。") % {"period": period.label})
    bulletin, created = Bulletin.objects.select_for_update().get_or_create(period=period)
    if not created:
        if bulletin.state in {Bulletin.State.PENDING, Bulletin.State.RUNNING} and not bulletin_is_stale(bulletin):
            raise DispatchError(_("%(period)s的通报正在生成，请稍候。") % {"period": period.label})
        if bulletin.state == Bulletin.State.DONE and not regenerate:
            raise DispatchError(
                _("%(period)s的通报已生成，可直接下载；如确需重新生成，请使用“重新生成”。") % {"period": period.label}
            )
    before = {} if created else audit_snapshot(bulletin)
    bulletin.state = Bulletin.State.PENDING
    bulletin.progress = 0
    bulletin.step = _("排队中")
    bulletin.error = ""
    bulletin.requested_by = by if getattr(by, "pk", None) else None
    bulletin.started_at = bulletin.heartbeat_at = timezone.now()
    bulletin.finished_at = None
    # The previous files stay linked (and downloadable) until the new ones are complete; the
    # audit entry written when they are replaced keeps the old names and hashes.
    bulletin.save()
    audit_record(by=by, instance=bulletin, before=before, subject=period, source="bulletin")
    return bulletin


def bulletin_generate(*, period: Period, by: Any, regenerate: bool = False) -> Bulletin:
    """Queue the bulletin and its build for the worker; returns the row to show progress from."""
    bulletin = bulletin_request(period=period, by=by, regenerate=regenerate)
    core_tasks.job_start(
        task_path="dispatch.tasks.bulletin_build_task", kind="bulletin", key=f"period:{period.pk}",
        args=[bulletin.pk, getattr(by, "pk", None)], by=by, on_fail="dispatch.tasks.bulletin_interrupted",
    )
    bulletin.refresh_from_db()
    return bulletin


def _progress(pk: int, progress: int, step: str, job_pk: int | None = None, **fields: Any) -> None:
    # A plain UPDATE, committed at once, so the progress poll sees it while the job runs; the
    # heartbeat tells a live job from one whose process has died.
    Bulletin.objects.filter(pk=pk).update(progress=progress, step=step, heartbeat_at=timezone.now(), **fields)
    if job_pk is not None:
        core_tasks.job_progress(job_pk, progress, step)


@translation.override(settings.LANGUAGE_CODE)
def bulletin_build(bulletin_pk: int, by_pk: int | None = None, job_pk: int | None = None, *, pdf: bool = True) -> None:
    """Compute the figures, write both files and keep them with the period; on any error, fail cleanly.
    ``pdf=False`` leaves the PDF out (the demo's older months: LibreOffice takes seconds a bulletin).

    The document is written in the district's language whoever asks, so every generation of
    the same period gives the same text.
    """
    by = User.objects.filter(pk=by_pk).first() if by_pk else None
    bulletin = Bulletin.objects.select_related("period").get(pk=bulletin_pk)
    saved: list[str] = []
    try:
        _progress(bulletin.pk, 5, _("正在汇总数据"), job_pk, state=Bulletin.State.RUNNING, started_at=timezone.now())
        figures = build_figures(bulletin.period)
        when = bulletin.period.published_at
        _progress(bulletin.pk, 30, _("正在生成 Word 通报"), job_pk)
        docx_bytes = build_docx(figures, when)
        _progress(bulletin.pk, 60, _("正在生成 Excel 附表"), job_pk)
        xlsx_bytes = build_xlsx(figures, when)
        pdf_bytes, pdf_error = _pdf(bulletin.pk, docx_bytes, job_pk) if pdf else (None, "")
        _progress(bulletin.pk, 90, _("正在保存文件"), job_pk)
        docx_name, xlsx_name, pdf_name = file_names(bulletin.period)
        bulletin.docx.save(docx_name, ContentFile(docx_bytes), save=False)
        saved.append(bulletin.docx.name)
        bulletin.xlsx.save(xlsx_name, ContentFile(xlsx_bytes), save=False)
        saved.append(bulletin.xlsx.name)
        if pdf_bytes is not None:
            bulletin.pdf.save(pdf_name, ContentFile(pdf_bytes), save=False)
            saved.append(bulletin.pdf.name)
        with transaction.atomic():
            current = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
            before = audit_snapshot(current)
            current.docx, current.xlsx = bulletin.docx.name, bulletin.xlsx.name
            current.docx_sha256 = hashlib.sha256(docx_bytes).hexdigest()
            current.xlsx_sha256 = hashlib.sha256(xlsx_bytes).hexdigest()
            # No PDF of these files (none made, or it failed): an older one is unlinked, not kept beside them.
            current.pdf = bulletin.pdf.name if pdf_bytes is not None else ""
            current.pdf_sha256 = hashlib.sha256(pdf_bytes).hexdigest() if pdf_bytes is not None else ""
            current.state = Bulletin.State.DONE
            current.progress = 100
            current.step = _("已完成")
            current.error = pdf_error
            current.finished_at = timezone.now()
            current.save()
            audit_record(by=by, instance=current, before=before, subject=current.period, source="bulletin")
    except Exception as exc:
        logger.exception("bulletin %s failed", bulletin_pk)
        # Only this run's new files go; the previous ones (if any) stay linked and downloadable.
        for name in saved:
            bulletin.docx.storage.delete(name)
        before = audit_snapshot(Bulletin.objects.get(pk=bulletin.pk))
        Bulletin.objects.filter(pk=bulletin.pk).update(
            state=Bulletin.State.FAILED, step=_("生成失败"), error=str(exc) or exc.__class__.__name__,
            finished_at=timezone.now(),
        )
        failed = Bulletin.objects.get(pk=bulletin.pk)
        audit_record(by=by, instance=failed, before=before, subject=failed.period, source="bulletin")


def _pdf(pk: int, docx_bytes: bytes, job_pk: int | None) -> tuple[bytes | None, str]:
    """The PDF and, when it could not be made, why (for ``error``); (None, "") without LibreOffice."""
    if not pdf_module.libreoffice_available():
        return None, ""
    step = _("正在生成 PDF")
    _progress(pk, 75, step, job_pk)
    try:
        return build_pdf(docx_bytes, heartbeat=lambda: _progress(pk, 75, step, job_pk)), ""
    except Exception as exc:
        # The Word and Excel files stand without it.
        logger.warning("bulletin %s: no PDF: %s", pk, exc)
        return None, _("PDF 未能生成（Word 和 Excel 文件不受影响）：%(error)s") % {
            "error": str(exc) or exc.__class__.__name__}


# The steps, as module attributes so a test can make one of them fail.
def build_figures(period: Period) -> figures_module.BulletinFigures:
    return figures_module.bulletin_figures(period)


def build_docx(figures: figures_module.BulletinFigures, when: dt.datetime | None) -> bytes:
    return bulletin_docx(figures, published_at=when)


def build_xlsx(figures: figures_module.BulletinFigures, when: dt.datetime | None) -> bytes:
    return bulletin_xlsx(figures, published_at=when)


def build_pdf(docx_bytes: bytes, heartbeat: Callable[[], None] | None = None) -> bytes | None:
    return pdf_module.docx_to_pdf(docx_bytes, heartbeat=heartbeat)
