"""Durable background work: the job record every module's task reports to, the worker's heartbeat,
recovery after a restart, and the recurring jobs.

Tasks are django-tasks tasks (``@task()`` in each module's ``tasks.py``), queued in the database
(django-tasks-db) and run by a separate process, ``manage.py db_worker``; the tests run them inline
(the immediate backend). A task gets a :class:`core.models.Job` first: the page shows its state,
progress 0–100 and step in words, and polls it while it runs.

- :func:`job_start` creates the job and enqueues the task with the job's pk as first argument.
- The task body runs inside :func:`job_running` and reports with :func:`job_progress`; both write
  the job's heartbeat, the worker's pid and host.
- A worker killed mid-task (a restart, kill -9) leaves the job "running". The next worker loop (and
  the scheduler) calls :func:`jobs_recover`: a running job whose process is gone (same host, pid no
  longer alive) or whose heartbeat is older than ``STALE_AFTER`` is queued again while it has
  attempts left, and otherwise marked failed with the reason in words, so the page offers a retry
  button (:func:`job_retry`). No job stays "running".
- Recurring jobs: each module's ``tasks.py`` may list :class:`Recurring` entries in ``RECURRING``;
  ``manage.py scheduler`` enqueues each once per slot (day or hour), idempotently.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import logging
import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from core.models import Job, WorkerBeat

logger = logging.getLogger(__name__)

# Longer than any one step takes (the bulletin of 20,000 projects builds in about 10 s in all).
STALE_AFTER = dt.timedelta(seconds=getattr(settings, "DIAODU_TASK_STALE_SECONDS", 120))
# The worker writes its heartbeat at most this often while idle.
BEAT_EVERY = dt.timedelta(seconds=5)

HOST = socket.gethostname()[:100]

# Set by the worker process (core/management/commands/db_worker.py), so job steps beat for it too.
current_worker_id: str | None = None


# --- the worker's heartbeat -------------------------------------------------------------------

def worker_beat(*, worker_id: str, started: bool = False) -> None:
    now = timezone.now()
    defaults: dict[str, Any] = {"host": HOST, "pid": os.getpid(), "seen_at": now}
    if started:
        defaults["started_at"] = now
    WorkerBeat.objects.update_or_create(worker_id=worker_id, defaults=defaults, create_defaults={
        **defaults, "started_at": now,
    })


@dataclass(frozen=True)
class WorkerHealth:
    state: str  # "ok", "stale" or "none"
    seen: dt.datetime | None


def worker_health(now: dt.datetime | None = None) -> WorkerHealth:
    """"ok" when a worker was seen within ``STALE_AFTER``, "stale" when only earlier, "none" if never."""
    last = WorkerBeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
    if last is None:
        return WorkerHealth("none", None)
    fresh = (now or timezone.now()) - last <= STALE_AFTER
    return WorkerHealth("ok" if fresh else "stale", last)


# --- jobs --------------------------------------------------------------------------------------

def import_dir() -> Path:
    """Where uploads wait for the worker (MEDIA_ROOT/imports): the request keeps them, the task reads them."""
    return Path(settings.MEDIA_ROOT) / "imports"


def upload_keep(upload: Any, *, suffix: str = ".xlsx") -> Path:
    """Write ``upload`` in pieces to a new file under :func:`import_dir` for a background import; its path."""
    folder = import_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}{suffix}"
    upload.seek(0)
    with path.open("wb") as handle:
        for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
            handle.write(chunk)
    return path


def _enqueue(job: Job) -> None:
    task = import_string(job.task_path)
    result = task.enqueue(job.pk, *job.args)
    # With the immediate backend (tests) the task has already run; only the id is written here.
    Job.objects.filter(pk=job.pk).update(task_id=str(result.id))


def job_start(
    *, task_path: str, kind: str, key: str, args: list[Any] | None = None, by: Any = None,
    on_fail: str = "", max_attempts: int = 2,
) -> Job:
    """Create the job (pending) and queue its task; returns the job as it is now.

    In a transaction, the queued task becomes visible to the worker only when it commits, with the
    job and whatever the caller wrote before.
    """
    job = Job.objects.create(
        kind=kind, key=key, task_path=task_path, args=list(args or []), on_fail=on_fail,
        max_attempts=max_attempts, requested_by=by if getattr(by, "pk", None) else None,
        step=_("排队中，等待后台进程"),
    )
    _enqueue(job)
    job.refresh_from_db()
    return job


def job_latest(*, kind: str, key: str) -> Job | None:
    return Job.objects.filter(kind=kind, key=key).order_by("-created_at", "-pk").first()


def job_progress(job: Job | int, progress: int, step: str, **fields: Any) -> None:
    """A plain UPDATE, committed at once (outside any transaction), so the page sees it meanwhile."""
    pk = job if isinstance(job, int) else job.pk
    now = timezone.now()
    Job.objects.filter(pk=pk).update(progress=progress, step=step, heartbeat_at=now, **fields)
    if current_worker_id:
        WorkerBeat.objects.filter(worker_id=current_worker_id).update(seen_at=now)


@contextlib.contextmanager
def job_running(job_pk: int) -> Iterator[Job]:
    """Mark the job running in this process; done at the end, or failed with the error in words."""
    now = timezone.now()
    Job.objects.filter(pk=job_pk).update(
        state=Job.State.RUNNING, started_at=now, heartbeat_at=now, host=HOST, pid=os.getpid(),
        error="", finished_at=None,
    )
    job = Job.objects.get(pk=job_pk)
    Job.objects.filter(pk=job_pk).update(attempts=job.attempts + 1)
    try:
        yield job
    except Exception as exc:
        logger.exception("job %s (%s) failed", job_pk, job.kind)
        Job.objects.filter(pk=job_pk).update(
            state=Job.State.FAILED, error=str(exc) or exc.__class__.__name__, step=_("失败"),
            finished_at=timezone.now(), heartbeat_at=timezone.now(),
        )
        raise
    else:
        Job.objects.filter(pk=job_pk).update(
            state=Job.State.DONE, progress=100, step=_("已完成"), finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def job_is_dead(job: Job, now: dt.datetime | None = None) -> bool:
    """Running, but its process is gone (on this host) or has shown no sign of life for too long."""
    if job.state != Job.State.RUNNING:
        return False
    if job.host == HOST and job.pid and not _pid_alive(job.pid):
        return True
    alive = job.heartbeat_at or job.started_at
    return alive is None or (now or timezone.now()) - alive > STALE_AFTER


def _task_lost(task_id: str) -> None:
    """The queue's own row of a task whose worker died says failed too, not running for ever."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    try:
        uuid.UUID(task_id)
    except ValueError:  # an immediate backend's id: nothing is queued
        return
    DBTaskResult.objects.filter(id=task_id, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED, finished_at=timezone.now(),
        exception_class_path="core.tasks.WorkerLost", traceback="worker process ended while running the task",
    )


def jobs_recover(now: dt.datetime | None = None) -> list[Job]:
    """Requeue (or, without attempts left, fail) every job whose process died; returns them."""
    recovered = []
    for job in Job.objects.filter(state=Job.State.RUNNING):
        if not job_is_dead(job, now):
            continue
        with transaction.atomic():
            # Another worker may have recovered it meanwhile: only a job still running is taken.
            if not Job.objects.filter(pk=job.pk, state=Job.State.RUNNING, heartbeat_at=job.heartbeat_at).update(
                state=Job.State.PENDING,
            ):
                continue
        if job.task_id:
            _task_lost(job.task_id)
        if job.attempts < job.max_attempts:
            Job.objects.filter(pk=job.pk).update(
                step=_("后台进程曾中断，已重新排队（第 %(n)d 次重试）") % {"n": job.attempts}, progress=0,
            )
            _enqueue(job)
        else:
            _give_up(job)
        job.refresh_from_db()
        recovered.append(job)
    return recovered


def _give_up(job: Job) -> None:
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.FAILED, step=_("已中断"),
        error=_("后台进程中断（服务重启），任务未完成，请重试。"), finished_at=timezone.now(),
    )
    if job.on_fail:
        try:
            import_string(job.on_fail)(job)
        except Exception:
            logger.exception("on_fail of job %s", job.pk)


def job_retry(*, job: Job) -> Job:
    """Queue a failed job again, from the start, with its attempts reset (the retry button)."""
    with transaction.atomic():
        if not Job.objects.filter(pk=job.pk, state=Job.State.FAILED).update(
            state=Job.State.PENDING, attempts=0, progress=0, error="", step=_("排队中，等待后台进程"),
            finished_at=None,
        ):
            raise ValueError(_("只有失败的任务才能重试。"))
        job.refresh_from_db()
        _enqueue(job)
    job.refresh_from_db()
    return job


# --- recurring jobs ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recurring:
    """A job the scheduler enqueues once per slot: ``every`` is "day" (at ``hour``) or "hour"."""

    name: str
    task_path: str
    every: str
    hour: int = 0


def recurring_jobs() -> list[Recurring]:
    """Every installed app's ``tasks.RECURRING`` (found by name, so core imports no module above it)."""
    found: list[Recurring] = []
    for app in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{app.name}.tasks")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app.name}.tasks":
                raise
            continue
        found += list(getattr(module, "RECURRING", []))
    return found


def recurring_slot(job: Recurring, now: dt.datetime) -> str | None:
    """The slot ``now`` falls in (local time), or None before the day's hour."""
    local = timezone.localtime(now)
    if job.every == "hour":
        return local.strftime("%Y-%m-%dT%H")
    if local.hour < job.hour:
        return None
    return local.strftime("%Y-%m-%d")


def recurring_enqueue_due(now: dt.datetime | None = None) -> list[Job]:
    """Enqueue each recurring job whose current slot has no job yet; running it twice enqueues nothing."""
    now = now or timezone.now()
    started = []
    for job in recurring_jobs():
        slot = recurring_slot(job, now)
        if slot is None:
            continue
        with transaction.atomic():
            if Job.objects.filter(kind=job.name, key=slot).exists():
                continue
            started.append(job_start(task_path=job.task_path, kind=job.name, key=slot, max_attempts=3))
    return started
