"""The ledger's background work, run by the worker (``manage.py db_worker``; core/tasks.py).

- Large Excel imports: above ``BACKGROUND_ROWS`` data rows the upload is kept under
  MEDIA_ROOT/imports and imported here, all rows or none as in the request, with progress on the
  import page; the file is removed when the import ends, or, when the file has errors, kept for its
  uploader's error report (``ERROR_UPLOADS``, the Excel kit's ``KeptUploads``).
- Lights (红黄绿灯) change as days pass: refreshed daily by the scheduler (``RECURRING``).
"""
from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Any

from django.core.files import File
from django.utils.translation import gettext as _
from django_tasks import task

from core import tasks as core_tasks
from core.excel import guard
from core.excel.report import KeptUploads
from core.models import Job
from org.models import User
from projects import excel, services

# An upload with more data rows than this is imported by the worker, not in the request.
BACKGROUND_ROWS = 500

# Ledger uploads with errors, kept for their uploader's error report (projects.views_excel).
ERROR_UPLOADS = KeptUploads("ledger")

RECURRING = [core_tasks.Recurring(name="lights", task_path="projects.tasks.lights_refresh_task", every="day", hour=1)]


def import_dir() -> Path:
    return core_tasks.import_dir()


def upload_is_large(upload: Any) -> bool:
    """More than ``BACKGROUND_ROWS`` rows in the ledger sheet (counted up to that, after the file checks).

    A file the checks refuse is not large: the request refuses it at once with the reason.
    """
    try:
        workbook = guard.open_upload(upload)
    except guard.FileRejected:
        return False
    try:
        if excel.SHEET not in workbook.sheetnames:
            return False
        # Rows with something in them (a stray cell far below is one row, as the importer counts it).
        rows = (row for row in workbook[excel.SHEET].iter_rows(values_only=True)
                if any(value not in (None, "") for value in row))
        return sum(1 for _row in islice(rows, BACKGROUND_ROWS + 2)) > BACKGROUND_ROWS + 1  # + the header
    finally:
        workbook.close()
        upload.seek(0)


def ledger_import_start(*, upload: Any, by: User) -> Job:
    """Keep the upload under MEDIA_ROOT/imports and queue its import; returns the job to show."""
    path = core_tasks.upload_keep(upload)
    return core_tasks.job_start(
        task_path="projects.tasks.ledger_import_task", kind="import", key=f"user:{by.pk}",
        args=[path.name, str(getattr(upload, "name", "") or path.name), by.pk], by=by, max_attempts=2,
    )


def error_scope(user_pk: int) -> str:
    """The kept upload of a ledger import is its uploader's."""
    return f"user:{user_pk}"


def report_result(report: excel.ImportReport, error_report: str | None = None) -> dict[str, Any]:
    """What the import page shows of a finished import (JSON, kept on the job); ``error_report`` is the
    token of the kept upload whose error report its uploader may download."""
    errors = report.sorted_errors()
    return {
        "ok": report.ok,
        "created": report.created, "updated": report.updated, "unchanged": report.unchanged,
        "warnings": list(report.warnings),
        "errors": [
            {"row": issue.row, "column": issue.column, "letter": issue.letter, "message": issue.message}
            for issue in errors[: excel.MAX_ERRORS_SHOWN]
        ],
        "error_count": len(errors),
        "error_report": error_report or "",
    }


@task()
def ledger_import_task(job_pk: int, file_name: str, upload_name: str, by_pk: int) -> None:
    path = import_dir() / Path(file_name).name
    with core_tasks.job_running(job_pk):
        core_tasks.job_progress(job_pk, 10, _("正在检查文件并逐行校验"))
        by = User.objects.get(pk=by_pk)
        with path.open("rb") as handle:
            report = excel.ledger_import(by=by, upload=File(handle, name=upload_name))
        token = None
        if not report.ok:
            # The file goes to the kept uploads, for the error report of every error.
            token = ERROR_UPLOADS.keep_path(path, name=upload_name, sheet=excel.SHEET, errors=report.errors,
                                            scope=error_scope(by_pk))
        core_tasks.job_progress(job_pk, 95, _("正在整理结果"), result=report_result(report, token))
    # Done (whatever the rows said: their errors are the result, nothing was saved); the file goes
    # (unless kept above for the error report).
    path.unlink(missing_ok=True)


@task()
def list_import_task(job_pk: int, token: str, upload_name: str, choices: dict[str, Any], by_pk: int) -> None:
    """A district's list (projects.views_lists): checked again in full, then saved all or nothing."""
    from projects.importing.run import analyse, save
    from projects.views_lists import choices_from_data, list_dir

    path = list_dir() / f"{Path(token).name}.xlsx"
    with core_tasks.job_running(job_pk):
        core_tasks.job_progress(job_pk, 5, _("正在读取清单并逐行检查"))
        by = User.objects.get(pk=by_pk)
        with path.open("rb") as handle:
            analysis = analyse(File(handle, name=upload_name), choices_from_data(choices))
        if not analysis.ok:
            result = {"ok": False, "error_count": len(analysis.errors), **analysis.as_json()}
            core_tasks.job_progress(job_pk, 100, _("清单有错误，未保存"), result=result)
            return
        core_tasks.job_progress(job_pk, 40, _("检查通过，正在保存"))
        saved = save(analysis, by=by, progress=lambda percent, text: core_tasks.job_progress(job_pk, percent, text))
        result = {"ok": True, "created": saved.created, "updated": saved.updated, "unchanged": saved.unchanged,
                  "units_created": saved.units_created, "warnings": analysis.warnings[:200]}
        core_tasks.job_progress(job_pk, 100, _("导入完成"), result=result)


@task()
def lights_refresh_task(job_pk: int) -> None:
    with core_tasks.job_running(job_pk):
        core_tasks.job_progress(job_pk, 10, _("正在重新计算红黄绿灯"))
        counts = services.lights_refresh_all()
        Job.objects.filter(pk=job_pk).update(result=counts)
