"""Dispatch's background work, run by the worker (``manage.py db_worker``; core/tasks.py).

- Bulletin generation (dispatch/bulletins/jobs.py builds the files; this runs it with progress).
- Publishing a period: the request answers at once and the period board shows "发布中" with the
  progress, one step per snapshot builder (core.publication); the synchronous service
  :func:`dispatch.periods.services.period_publish` runs them.

Each task reads the district's settings once (``core.district.scope``), so a publication or a
bulletin uses one set of thresholds and names from start to end, even if the administrator changes
them meanwhile.
- Reminders (催报), hourly, from the scheduler (``RECURRING``); safe to run twice.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from core import district, publication
from core import tasks as core_tasks
from core.models import Job, Period
from dispatch.bulletins import jobs
from dispatch.models import Bulletin
from dispatch.periods import reminders, services
from org.models import User

RECURRING = [core_tasks.Recurring(name="reminders", task_path="dispatch.tasks.reminders_task", every="hour")]


# --- bulletin --------------------------------------------------------------------------------------

@task()
def bulletin_build_task(job_pk: int, bulletin_pk: int, by_pk: int | None) -> None:
    with core_tasks.job_running(job_pk), district.scope():
        jobs.bulletin_build(bulletin_pk, by_pk, job_pk=job_pk)
        bulletin = Bulletin.objects.get(pk=bulletin_pk)
        if bulletin.state == Bulletin.State.FAILED:
            # The bulletin keeps its own error (and its previous files); the job fails with it.
            raise services.DispatchError(bulletin.error)


def bulletin_interrupted(job: Job) -> None:
    """Given up after a restart: the bulletin says failed (its previous files stay linked)."""
    bulletin_pk = job.args[0]
    Bulletin.objects.filter(pk=bulletin_pk, state__in=[Bulletin.State.PENDING, Bulletin.State.RUNNING]).update(
        state=Bulletin.State.FAILED, step=_("生成失败"), error=job.error or _("后台进程中断"),
    )


# --- publishing ------------------------------------------------------------------------------------

def publish_job(period: Period) -> Job | None:
    return core_tasks.job_latest(kind="publish", key=f"period:{period.pk}")


def period_publish_start(*, period: Period, by: Any, reason: str = "", now: dt.datetime | None = None) -> Job:
    """Check what the service would refuse, at once, then queue the publication; returns its job.

    The publication moment is the office's click (``now``), whenever the worker takes it up.
    """
    from django.utils import timezone

    now = now or timezone.now()
    running = publish_job(period)
    if running is not None and running.active:
        raise services.DispatchError(_("%(period)s正在发布，请稍候。") % {"period": period.label})
    if period.state != Period.State.CLOSED:
        raise services.DispatchError(_("只有已截止的调度期才能发布。"))
    reason = reason.strip()
    check = services.period_publish_check(period=period, now=now)
    if check.needs_reason and not reason:
        raise services.DispatchError(
            _("%(period)s不能直接发布：%(why)s。如确需现在发布，请填写发布说明，说明将印在通报中。")
            % {"period": period.label, "why": check.in_words()}
        )
    return core_tasks.job_start(
        task_path="dispatch.tasks.period_publish_task", kind="publish", key=f"period:{period.pk}",
        args=[period.pk, getattr(by, "pk", None), reason, now.isoformat()], by=by,
    )


def _progress_now(job_pk: int, progress: int, step: str) -> None:
    """The job's progress, seen by the polling page while the publication's transaction is still open.

    On PostgreSQL it is written through a second connection that commits at once (the publishing
    transaction never touches the job's row, so neither waits for the other). SQLite has one writer
    at a time, so there it is written in the transaction and seen when it commits.
    """
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        core_tasks.job_progress(job_pk, progress, step)
        return
    side = connections.create_connection(DEFAULT_DB_ALIAS)
    quote = side.ops.quote_name
    table = quote(Job._meta.db_table)
    columns = {name: quote(name) for name in ("progress", "step", "heartbeat_at", "id")}  # column = field name
    sql = (
        f"UPDATE {table} SET {columns['progress']} = %s, {columns['step']} = %s, "  # noqa: S608 - names from the model
        f"{columns['heartbeat_at']} = %s WHERE {columns['id']} = %s"
    )
    try:
        with side.cursor() as cursor:
            cursor.execute(sql, [progress, step[:200], timezone.now(), job_pk])
    finally:
        side.close()


def _publish_progress(job_pk: int) -> publication.Progress:
    def report(index: int, total: int, builder: publication.Builder) -> None:
        # 10 % when the task starts; the builders share the rest up to 90 %, the state change is the last.
        _progress_now(job_pk, 10 + 80 * index // max(total, 1), str(builder.step))

    return report


@task()
def period_publish_task(job_pk: int, period_pk: int, by_pk: int | None, reason: str, now: str) -> None:
    with core_tasks.job_running(job_pk), district.scope():
        core_tasks.job_progress(job_pk, 10, _("正在生成快照"))
        period = Period.objects.get(pk=period_pk)
        if period.state == Period.State.PUBLISHED:
            return  # an earlier attempt got through before its worker died
        by = User.objects.filter(pk=by_pk).first() if by_pk else None
        services.period_publish(
            period=period, by=by, reason=reason, now=dt.datetime.fromisoformat(now), progress=_publish_progress(job_pk),
        )


# --- reminders -------------------------------------------------------------------------------------

@task()
def reminders_task(job_pk: int) -> None:
    with core_tasks.job_running(job_pk), district.scope():
        core_tasks.job_progress(job_pk, 10, _("正在发送催报提醒"))
        result = reminders.reminders_send(today=services.today())
        Job.objects.filter(pk=job_pk).update(result={"lines": reminders.describe(result)})
        if result.errors:
            raise services.DispatchError("; ".join(result.errors))
