"""core.tasks: jobs, progress in the page, the heartbeat, recovery, the scheduler and /healthz."""
from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest
from django.db import DatabaseError
from django.test import Client
from django.utils import timezone

from core import tasks
from core.models import Job, WorkerBeat
from org.models import User


@pytest.mark.django_db
def test_healthz_reports_the_database_and_the_worker_without_login() -> None:
    client = Client()
    assert client.get("/healthz").json() == {"database": "ok", "worker": "none", "worker_seen": None}
    tasks.worker_beat(worker_id="w1", started=True)
    body = client.get("/healthz").json()
    assert body["worker"] == "ok" and body["worker_seen"]
    WorkerBeat.objects.update(seen_at=timezone.now() - tasks.STALE_AFTER - dt.timedelta(seconds=1))
    assert client.get("/healthz").json()["worker"] == "stale"
    with mock.patch("core.views.connection.cursor", side_effect=DatabaseError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["database"] == "error"


def test_the_progress_fragment_shows_the_step_and_polls_while_running(personas: dict[str, User]) -> None:
    job = Job.objects.create(kind="test", key="k", task_path="x", requested_by=personas["office"])
    tasks.job_progress(job, 40, "正在生成快照", state=Job.State.RUNNING)
    client = Client()
    client.force_login(personas["office"])
    page = client.get(f"/jobs/{job.pk}/?reload=1")
    text = page.content.decode()
    assert "正在生成快照" in text and 'value="40"' in text and "hx-get" in text and "HX-Refresh" not in page
    Job.objects.filter(pk=job.pk).update(state=Job.State.DONE)
    assert client.get(f"/jobs/{job.pk}/?reload=1")["HX-Refresh"] == "true"
    # A running job whose heartbeat stopped long ago is shown as interrupted, with a retry button.
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    text = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "已中断" in text and "重试" in text and "hx-get" not in text


@pytest.mark.django_db
def test_the_scheduler_enqueues_each_recurring_job_once_per_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []
    monkeypatch.setattr("dispatch.periods.reminders.reminders_send", lambda today: ran.append("reminders") or
                        __import__("dispatch.reminders").reminders.RunResult())
    monkeypatch.setattr("projects.services.lights_refresh_all", lambda: ran.append("lights") or {"red": 1})
    monkeypatch.setattr("investment.services.lights_refresh_all", lambda: ran.append("lead_lights") or {"red": 2})
    at_night = timezone.make_aware(dt.datetime(2026, 12, 2, 0, 30))
    assert sorted(j.kind for j in tasks.recurring_enqueue_due(at_night)) == ["reminders"]
    morning = timezone.make_aware(dt.datetime(2026, 12, 2, 8, 5))
    assert sorted(j.kind for j in tasks.recurring_enqueue_due(morning)) == ["lead_lights", "lights", "reminders"]
    assert tasks.recurring_enqueue_due(morning + dt.timedelta(minutes=30)) == []  # idempotent within the slot
    assert [j.kind for j in tasks.recurring_enqueue_due(morning + dt.timedelta(hours=1))] == ["reminders"]
    assert sorted(ran) == ["lead_lights", "lights", "reminders", "reminders", "reminders"]
    assert Job.objects.get(kind="lights").result == {"red": 1}
    assert Job.objects.get(kind="lead_lights").result == {"red": 2}


def test_publishing_queues_a_task_and_the_period_is_published_when_it_ends(
    personas: dict[str, User], units: Any, make_project: Any
) -> None:
    from core.models import Period
    from dispatch.periods import services

    make_project()
    period = services.period_open(year=2026, month=7, by=personas["office"])
    services.period_close(period=period, by=personas["office"])
    client = Client()
    client.force_login(personas["office"])
    with mock.patch("core.tasks._enqueue") as enqueue:  # no worker: the job waits in the queue
        client.post(f"/dispatch/periods/{period.pk}/publish/", {"reason": "提前发布"})
    assert enqueue.called
    period.refresh_from_db()
    assert period.state == Period.State.CLOSED
    page = client.get(f"/dispatch/periods/{period.pk}/").content.decode()
    assert "发布中" in page and 'id="publish"' not in page
    # The worker runs it (inline here): published, the board shows it.
    job = Job.objects.get(kind="publish")
    tasks._enqueue(job)
    period.refresh_from_db()
    assert period.state == Period.State.PUBLISHED and period.publish_reason == "提前发布"
    assert Job.objects.get(pk=job.pk).state == Job.State.DONE
