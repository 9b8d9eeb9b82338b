"""``manage.py db_worker``: django-tasks-db's worker, plus a heartbeat and recovery after a restart.

The queue's own worker claims a task, runs it and records the outcome; a worker killed mid-task
leaves the task (and its job) "running" for ever. This one, between tasks and at most every
``BEAT_EVERY``, writes its heartbeat (read by /healthz) and recovers the jobs whose process died
(core.tasks.jobs_recover: queued again, or failed with a retry button). It starts with a recovery,
so a restart picks up what the previous process left. Options are those of django-tasks-db's.
"""
from __future__ import annotations

import time
from typing import Any

from django.db import close_old_connections
from django.db.utils import OperationalError
from django.utils import timezone
from django_tasks_db.management.commands import db_worker as base
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from core import tasks


class BeatingWorker(base.Worker):
    def _beat(self, started: bool = False) -> None:
        tasks.worker_beat(worker_id=self.worker_id, started=started)
        recovered = tasks.jobs_recover()
        for job in recovered:
            base.logger.warning("recovered job %s (%s %s): %s", job.pk, job.kind, job.key, job.state)
        self._beaten = timezone.now()

    def _claim(self) -> tuple[DBTaskResult | None, bool]:
        ready = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            ready = ready.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            ready = ready.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(ready.db):
            try:
                task_result = ready.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
            except OperationalError as exc:
                if is_locked_database_exception(exc):
                    return None, False
                raise
        return task_result, True

    def run(self) -> None:
        """django-tasks-db's loop (claim, run, sleep), with the heartbeat and recovery between tasks."""
        base.logger.info("Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names))
        tasks.current_worker_id = self.worker_id
        self._beat(started=True)
        while self.running:
            close_old_connections()
            if timezone.now() - self._beaten >= tasks.BEAT_EVERY:
                self._beat()
            task_result, retrieved = self._claim()
            if task_result is not None:
                self.run_task(task_result)
                self._beat()
            if self.batch and retrieved and task_result is None:
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            close_old_connections()
            if self.running and task_result is None:
                time.sleep(self.interval)


class Command(base.Command):
    help = "运行后台任务进程（队列、心跳、重启后恢复）/ Run the background worker (queue, heartbeat, recovery)"

    def handle(self, *args: Any, **options: Any) -> None:
        # The queue's command builds its Worker by name: run ours in its place.
        original = base.Worker
        base.Worker = BeatingWorker  # type: ignore[misc]
        try:
            super().handle(*args, **options)
        finally:
            base.Worker = original  # type: ignore[misc]
