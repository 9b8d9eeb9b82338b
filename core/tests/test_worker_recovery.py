"""The worker as a separate process on a file-backed SQLite database, killed mid-task with kill -9.

The task must not stay "running": the next worker notices that the process of the running job is
gone, marks the queue's row failed and queues the job again, and the retry runs to the end.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TASK = "core.tests.waiting_tasks.wait_for_file"
QUEUE_STATUS = "SELECT status FROM django_tasks_database_dbtaskresult WHERE id = ?"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "diaodu.settings",
        "DIAODU_TESTING": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DIAODU_MEDIA_ROOT": str(tmp_path / "media"),
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    return env


def _manage(env: dict[str, str], code: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v0", "-c", code], cwd=ROOT, env=env, check=True,
        capture_output=True, text=True,
    )
    return done.stdout.strip()


def _row(env: dict[str, str], sql: str, *args: Any) -> Any:
    path = env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path, timeout=20) as db:
        return db.execute(sql, args).fetchone()


def _wait(check: Callable[[], bool], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.fixture
def workers(env: dict[str, str]) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay", "--no-reload"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def test_a_task_killed_with_its_worker_is_retried_by_the_next_worker(
    env: dict[str, str], workers: Callable[[], subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    go = tmp_path / "go"
    job_pk = int(_manage(env, (
        "from core.tasks import job_start; "
        f"print(job_start(task_path={TASK!r}, kind='test', key='k', args=[{str(go)!r}]).pk)"
    )))
    first = workers()
    _wait(lambda: _row(env, "SELECT state, progress FROM core_job WHERE id = ?", job_pk) == ("running", 40))
    task_id = _row(env, "SELECT task_id FROM core_job WHERE id = ?", job_pk)[0]
    assert _row(env, QUEUE_STATUS, task_id.replace("-", ""))[0] \
        == "RUNNING"
    assert _row(env, "SELECT count(*) FROM core_workerbeat")[0] == 1

    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    # Left behind exactly as a restart leaves it.
    assert _row(env, "SELECT state FROM core_job WHERE id = ?", job_pk)[0] == "running"

    go.touch()
    workers()
    _wait(lambda: _row(env, "SELECT state FROM core_job WHERE id = ?", job_pk)[0] == "done")
    state, attempts, new_task = _row(env, "SELECT state, attempts, task_id FROM core_job WHERE id = ?", job_pk)
    assert (state, attempts) == ("done", 2) and new_task != task_id
    # The queue's row of the killed run says failed, not running for ever; the retry's succeeded.
    assert _row(env, QUEUE_STATUS, task_id.replace("-", ""))[0] \
        == "FAILED"
    assert _row(env, QUEUE_STATUS, new_task.replace("-", ""))[0] \
        == "SUCCESSFUL"


def test_a_task_killed_with_no_attempt_left_is_failed_with_a_retry(
    env: dict[str, str], workers: Callable[[], subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    go = tmp_path / "go"
    job_pk = int(_manage(env, (
        "from core.tasks import job_start; "
        f"print(job_start(task_path={TASK!r}, kind='test', key='k', "
        f"args=[{str(go)!r}], max_attempts=1).pk)"
    )))
    first = workers()
    _wait(lambda: _row(env, "SELECT state FROM core_job WHERE id = ?", job_pk)[0] == "running")
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    workers()
    _wait(lambda: _row(env, "SELECT state FROM core_job WHERE id = ?", job_pk)[0] == "failed")
    assert "中断" in _row(env, "SELECT error FROM core_job WHERE id = ?", job_pk)[0]
    # The retry button's service queues it again, and the running worker completes it.
    go.touch()
    retry = (
        "from core.models import Job\nfrom core.tasks import job_retry\n"
        f"job_retry(job=Job.objects.get(pk={job_pk}))"
    )
    _manage(env, retry)
    _wait(lambda: _row(env, "SELECT state FROM core_job WHERE id = ?", job_pk)[0] == "done")
