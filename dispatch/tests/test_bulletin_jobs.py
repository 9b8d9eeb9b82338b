"""dispatch.bulletins.jobs: generating a bulletin in the background, its progress, failures and regeneration."""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from dispatch.bulletins import jobs
from dispatch.models import Bulletin
from dispatch.periods import services
from dispatch.periods.services import DispatchError

# The shared fixture; "as april" marks the re-export, so the test arguments do not read as redefinitions.
from dispatch.tests.test_bulletin_figures import april as april
from org.models import Unit, User


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    # The Word and Excel files only: the PDF (LibreOffice, seconds a bulletin) has test_bulletin_pdf.py.
    settings.DIAODU_LIBREOFFICE = ""
    return tmp_path


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_generation_runs_through_its_steps_and_keeps_the_files(
    april: dict[str, Any], personas: dict[str, User], media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, int, str]] = []
    real_docx = jobs.build_docx

    def watching(figures: Any, when: Any) -> bytes:
        row = Bulletin.objects.get(period=april["period"])
        seen.append((row.state, row.progress, row.step))
        return real_docx(figures, when)

    monkeypatch.setattr(jobs, "build_docx", watching)
    bulletin = jobs.bulletin_generate(period=april["period"], by=personas["office"])
    assert seen == [("running", 30, "正在生成 Word 通报")]
    assert (bulletin.state, bulletin.progress, bulletin.step, bulletin.error) == ("done", 100, "已完成", "")
    assert bulletin.requested_by == personas["office"] and bulletin.finished_at is not None
    assert bulletin.docx.name.startswith("bulletins/2026/04-0/bulletin-2026-04-0")
    with bulletin.docx.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == bulletin.docx_sha256
    with bulletin.xlsx.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == bulletin.xlsx_sha256
    assert len(_files(media)) == 2
    entries = AuditEntry.objects.filter(model="dispatch.bulletin", object_id=str(bulletin.pk))
    assert entries.count() == 2  # queued, then done
    assert entries.filter(subject_model="core.period", subject_id=str(april["period"].pk)).count() == 2


def test_a_done_bulletin_is_not_regenerated_silently(april: dict[str, Any], personas: dict[str, User]) -> None:
    first = jobs.bulletin_generate(period=april["period"], by=personas["office"])
    with pytest.raises(DispatchError, match="已生成"):
        jobs.bulletin_generate(period=april["period"], by=personas["office"])
    first.refresh_from_db()
    assert first.state == "done"


def test_regeneration_gives_the_same_files_and_audits_the_old_hashes(
    april: dict[str, Any], personas: dict[str, User], media: Path
) -> None:
    period = april["period"]
    first = jobs.bulletin_generate(period=period, by=personas["office"])
    old_docx, old_xlsx, old_name, old_xlsx_name = first.docx_sha256, first.xlsx_sha256, first.docx.name, first.xlsx.name
    # The live data moves on; the bulletin reads the snapshot only.
    from projects.models import ProgressReport

    ProgressReport.objects.filter(period=period).update(invested=1)
    second = jobs.bulletin_generate(period=period, by=personas["admin"], regenerate=True)
    assert second.state == "done"
    assert (second.docx_sha256, second.xlsx_sha256) == (old_docx, old_xlsx)
    assert second.docx.name != old_name  # the old file is kept, not overwritten
    assert len(_files(media)) == 4
    # The entry that links the new files records the old ones they replace.
    done = AuditEntry.objects.filter(model="dispatch.bulletin", user=personas["admin"]).order_by("-at", "-id").first()
    assert done is not None
    assert [old_name, second.docx.name] in done.changes.values()
    assert [old_xlsx_name, second.xlsx.name] in done.changes.values()


def test_a_regeneration_killed_midway_keeps_the_old_files_downloadable(
    april: dict[str, Any], personas: dict[str, User], media: Path
) -> None:
    """The server is killed during "regenerate": the old files still download, and the job is not stuck."""
    from django.test import Client

    period = april["period"]
    first = jobs.bulletin_generate(period=period, by=personas["office"])
    with first.docx.open("rb") as handle:
        old_bytes = handle.read()
    # Queued and started, then the process died: no build ever runs.
    jobs.bulletin_request(period=period, by=personas["office"], regenerate=True)
    jobs._progress(first.pk, 30, "正在生成 Word 通报", state=Bulletin.State.RUNNING)
    client = Client()
    client.force_login(personas["viewer"])
    response = client.get(f"/dispatch/periods/{period.pk}/bulletin/docx/")
    assert response.status_code == 200 and response.content == old_bytes
    page = client.get(f"/dispatch/periods/{period.pk}/bulletin/status/").content.decode()
    assert "生成中" in page and "下载 Word 通报" in page and "此前生成的文件" in page
    # No sign of life for longer than a step takes: the page says so, and the office starts again.
    Bulletin.objects.filter(period=period).update(heartbeat_at=timezone.now() - jobs.STALE_AFTER - dt.timedelta(1))
    page = client.get(f"/dispatch/periods/{period.pk}/bulletin/status/").content.decode()
    assert "未能完成" in page and "hx-get" not in page and "下载 Word 通报" in page
    again = jobs.bulletin_generate(period=period, by=personas["office"], regenerate=True)
    assert again.state == "done" and again.docx_sha256 == first.docx_sha256


def test_a_failed_regeneration_keeps_the_previous_files(
    april: dict[str, Any], personas: dict[str, User], media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    period = april["period"]
    first = jobs.bulletin_generate(period=period, by=personas["office"])

    def broken(figures: Any, when: Any) -> bytes:
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(jobs, "build_xlsx", broken)
    failed = jobs.bulletin_generate(period=period, by=personas["office"], regenerate=True)
    assert failed.state == "failed"
    kept = (failed.docx.name, failed.docx_sha256, failed.xlsx.name)
    assert kept == (first.docx.name, first.docx_sha256, first.xlsx.name)
    assert len(_files(media)) == 2  # the new half-made Word file was removed, the old pair kept


def test_a_failing_step_leaves_no_half_file(
    april: dict[str, Any], personas: dict[str, User], media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(figures: Any, when: Any) -> bytes:
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(jobs, "build_xlsx", broken)
    bulletin = jobs.bulletin_generate(period=april["period"], by=personas["office"])
    assert (bulletin.state, bulletin.step, bulletin.error) == ("failed", "生成失败", "磁盘已满")
    assert not bulletin.docx and not bulletin.xlsx and not bulletin.docx_sha256
    assert _files(media) == []
    # A failure while saving the second file removes the first.
    monkeypatch.undo()
    real_save = Bulletin.xlsx.field.storage.save

    def save_fails_for_excel(name: str, content: Any, max_length: int | None = None) -> str:
        if name.endswith(".xlsx"):
            raise OSError("写入失败")
        return real_save(name, content, max_length=max_length)

    monkeypatch.setattr(Bulletin.xlsx.field.storage, "save", save_fails_for_excel)
    bulletin = jobs.bulletin_generate(period=april["period"], by=personas["office"])
    assert (bulletin.state, bulletin.error) == ("failed", "写入失败")
    assert _files(media) == []
    # After a failure the office may simply try again.
    monkeypatch.undo()
    assert jobs.bulletin_generate(period=april["period"], by=personas["office"]).state == "done"


def test_only_a_published_period_has_a_bulletin(personas: dict[str, User], units: dict[str, Unit],
                                                make_project: Any) -> None:
    make_project()
    period = services.period_open(year=2026, month=7, by=personas["office"])
    with pytest.raises(DispatchError, match="尚未发布"):
        jobs.bulletin_generate(period=period, by=personas["office"])
    assert not Bulletin.objects.filter(period=period).exists()


def test_a_running_bulletin_blocks_a_second_start_until_it_is_stale(
    april: dict[str, Any], personas: dict[str, User]
) -> None:
    period = april["period"]
    Bulletin.objects.create(period=period, state="running", progress=30, started_at=timezone.now())
    with pytest.raises(DispatchError, match="正在生成"):
        jobs.bulletin_generate(period=period, by=personas["office"])
    long_ago = timezone.now() - jobs.STALE_AFTER - dt.timedelta(1)
    # Started long ago but still reporting progress: alive.
    Bulletin.objects.filter(period=period).update(started_at=long_ago, heartbeat_at=timezone.now())
    assert not jobs.bulletin_is_stale(Bulletin.objects.get(period=period))
    Bulletin.objects.filter(period=period).update(heartbeat_at=long_ago)
    assert jobs.bulletin_is_stale(Bulletin.objects.get(period=period))
    assert jobs.bulletin_generate(period=period, by=personas["office"]).state == "done"


def test_generation_is_a_queued_task_with_a_job_showing_its_progress(
    april: dict[str, Any], personas: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build runs as a django-tasks task with a core Job; each step is the job's progress too."""
    from core.models import Job

    seen: list[tuple[str, int, str]] = []
    real_xlsx = jobs.build_xlsx

    def watching(figures: Any, when: Any) -> bytes:
        job = Job.objects.get(kind="bulletin")
        seen.append((job.state, job.progress, job.step))
        return real_xlsx(figures, when)

    monkeypatch.setattr(jobs, "build_xlsx", watching)
    bulletin = jobs.bulletin_generate(period=april["period"], by=personas["office"])
    job = Job.objects.get(kind="bulletin", key=f"period:{april['period'].pk}")
    assert seen == [("running", 60, "正在生成 Excel 附表")]
    assert (job.state, job.progress, job.attempts, job.requested_by) == ("done", 100, 1, personas["office"])
    assert job.task_path == "dispatch.tasks.bulletin_build_task" and bulletin.state == "done"


def test_a_failed_build_fails_its_job_too(
    april: dict[str, Any], personas: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.models import Job

    def broken(figures: Any, when: Any) -> bytes:
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(jobs, "build_xlsx", broken)
    jobs.bulletin_generate(period=april["period"], by=personas["office"])
    job = Job.objects.get(kind="bulletin")
    assert (job.state, job.error) == ("failed", "磁盘已满")


def test_a_build_whose_worker_died_is_retried_then_failed_never_left_running(
    april: dict[str, Any], personas: dict[str, User]
) -> None:
    """A worker killed mid-build is queued again by the next worker; with no attempt left it fails, the bulletin too."""
    from core import tasks as core_tasks
    from core.models import Job

    period = april["period"]
    first = jobs.bulletin_generate(period=period, by=personas["office"])
    job = Job.objects.get(kind="bulletin")
    # As a killed worker leaves them: running, on this host, under a process that no longer exists.
    dead = {"state": "running", "host": core_tasks.HOST, "pid": 2**22 + 7, "heartbeat_at": timezone.now()}
    Job.objects.filter(pk=job.pk).update(attempts=1, **dead)
    Bulletin.objects.filter(pk=first.pk).update(state="running", progress=30)
    assert [j.pk for j in core_tasks.jobs_recover()] == [job.pk]
    job.refresh_from_db()
    assert (job.state, job.attempts) == ("done", 2)  # queued again and (inline here) run to the end
    assert Bulletin.objects.get(pk=first.pk).state == "done"
    # Died again with no attempt left: failed, with the reason; the bulletin too, its files kept.
    Job.objects.filter(pk=job.pk).update(attempts=2, **dead)
    Bulletin.objects.filter(pk=first.pk).update(state="running", progress=30)
    core_tasks.jobs_recover()
    job.refresh_from_db()
    assert job.state == "failed" and "中断" in job.error
    bulletin = Bulletin.objects.get(pk=first.pk)
    assert bulletin.state == "failed" and bulletin.docx_sha256 == first.docx_sha256
