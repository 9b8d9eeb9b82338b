"""A task for the worker tests: it reports a step, then waits until a file exists (or gives up)."""
from __future__ import annotations

import time
from pathlib import Path

from django_tasks import task

from core import tasks as core_tasks


@task()
def wait_for_file(job_pk: int, path: str) -> None:
    with core_tasks.job_running(job_pk):
        core_tasks.job_progress(job_pk, 40, "等待")
        deadline = time.monotonic() + 60
        while not Path(path).exists():
            if time.monotonic() > deadline:
                raise TimeoutError(path)
            time.sleep(0.1)
