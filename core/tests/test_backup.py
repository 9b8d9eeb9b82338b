"""manage.py backup / restore: one archive, restored into an empty database with the same rows and files."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command

from core import backup
from org.models import User

ROOT = Path(__file__).resolve().parents[2]

COUNT = """
import json
from django.apps import apps
print(json.dumps({m._meta.label_lower: m._base_manager.count() for m in apps.get_models(include_auto_created=True)
                  if m._meta.managed and not m._meta.proxy}))
"""


def manage(*args: str, db: Path, media: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIAODU_") and k != "DATABASE_URL"}
    env.update(
        DATABASE_URL=f"sqlite:///{db}", DIAODU_MEDIA_ROOT=str(media), DIAODU_TESTING="1",
        DJANGO_SETTINGS_MODULE="diaodu.settings",
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        check=False,
    )


def counts_here() -> dict[str, int]:
    return {
        m._meta.label_lower: m._base_manager.count()
        for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy
    }


@pytest.fixture
def district(personas: dict[str, User], make_project: Any, settings: Any, tmp_path: Path) -> dict[str, Any]:
    """A small district with a published month and its bulletin files."""
    from dispatch.bulletins import jobs
    from dispatch.models import UnitReport
    from dispatch.periods import services

    settings.MEDIA_ROOT = tmp_path / "media"
    project = make_project(name="备份测试项目 =SUM(A1)")
    personas["reporter"].groups.create(name="填报组")  # a many-to-many link row
    period = services.period_open(year=2026, month=4, by=personas["office"])
    UnitReport.objects.filter(period=period).update(state=UnitReport.State.APPROVED)
    services.period_close(period=period, by=personas["office"])
    services.period_publish(period=period, by=personas["office"], reason="测试：提前发布")
    bulletin = jobs.bulletin_generate(period=period, by=personas["office"])
    assert bulletin.state == "done"
    return {"project": project, "bulletin": bulletin, "media": Path(settings.MEDIA_ROOT)}


def test_a_backup_restores_into_an_empty_database_with_the_same_rows_and_files(
    district: dict[str, Any], tmp_path: Path
) -> None:
    archive = tmp_path / "backup.zip"
    call_command("backup", out=archive)
    before = counts_here()
    assert before["projects.project"] == 1 and before["org.user_groups"] == 1
    # Into a database with no tables at all, on SQLite whatever this test runs on.
    db, media = tmp_path / "restored.sqlite3", tmp_path / "restored-media"
    result = manage("restore", str(archive), db=db, media=media)
    assert result.returncode == 0, result.stderr
    after = json.loads(manage("shell", "-c", COUNT, db=db, media=media).stdout.strip().splitlines()[-1])
    assert after == before
    bulletin = district["bulletin"]
    for name in (bulletin.docx.name, bulletin.xlsx.name):
        assert (media / name).read_bytes() == (district["media"] / name).read_bytes()
    # The restored database goes on: a new row gets a fresh key, not one already taken.
    create = "from org.models import Unit; print(Unit.objects.create(name='新单位', kind='town').pk)"
    new_id = manage("shell", "-c", create, db=db, media=media)
    assert new_id.returncode == 0, new_id.stderr
    assert int(new_id.stdout.strip().splitlines()[-1]) > max(
        u.pk for u in apps.get_model("org", "Unit").objects.all()
    )


def test_restore_refuses_a_database_that_is_not_empty(district: dict[str, Any], tmp_path: Path) -> None:
    archive = tmp_path / "backup.zip"
    call_command("backup", out=archive)
    db, media = tmp_path / "busy.sqlite3", tmp_path / "m"
    assert manage("restore", str(archive), db=db, media=media).returncode == 0
    again = manage("restore", str(archive), db=db, media=media)
    assert again.returncode != 0 and "不是空的" in again.stderr


def test_restore_refuses_a_changed_archive(district: dict[str, Any], tmp_path: Path) -> None:
    archive = tmp_path / "backup.zip"
    call_command("backup", out=archive)
    changed = tmp_path / "changed.zip"
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(changed, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "data/projects.project.jsonl":
                data = data.replace("备份测试项目".encode(), "篡改后的项目".encode())
            target.writestr(info, data)
    with pytest.raises(backup.BackupError, match="校验值不符"):
        backup.archive_open(changed)
    result = manage("restore", str(changed), db=tmp_path / "x.sqlite3", media=tmp_path / "xm")
    assert result.returncode != 0 and "校验值不符" in result.stderr


def test_every_table_is_in_the_archive(district: dict[str, Any], tmp_path: Path) -> None:
    archive = tmp_path / "backup.zip"
    manifest = backup.backup_write(archive)
    labels = {m._meta.label_lower for m in apps.get_models(include_auto_created=True)
              if m._meta.managed and not m._meta.proxy}
    assert set(manifest["tables"]) == labels
    # Dependencies first: a project's lead unit is loaded before the project.
    order = [m._meta.label_lower for m in backup.tables()]
    assert order.index("org.unit") < order.index("projects.project") < order.index("dispatch.projectsnapshot")


def test_an_archive_from_before_the_yearly_figures_restores_them(district: dict[str, Any], tmp_path: Path) -> None:
    """Derived tables an older archive lacks are rebuilt by their module (core.hooks.restored)."""
    from projects.models import AnnualPlan
    from projects.services import year_figures_refresh

    AnnualPlan.objects.create(project=district["project"], year=2026, amount=1200)
    year_figures_refresh(project_ids=[district["project"].pk], years=[2026])
    archive = tmp_path / "backup.zip"
    call_command("backup", out=archive)
    before = counts_here()["projects.projectyear"]
    assert before > 0
    old = tmp_path / "old.zip"
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(old, "w") as target:
        manifest = json.loads(source.read(backup.MANIFEST))
        del manifest["tables"]["projects.projectyear"]
        del manifest["sha256"]["data/projects.projectyear.jsonl"]
        for info in source.infolist():
            if info.filename not in {backup.MANIFEST, "data/projects.projectyear.jsonl"}:
                target.writestr(info, source.read(info.filename))
        target.writestr(backup.MANIFEST, json.dumps(manifest))
    db, media = tmp_path / "restored.sqlite3", tmp_path / "restored-media"
    result = manage("restore", str(old), db=db, media=media)
    assert result.returncode == 0, result.stderr
    after = json.loads(manage("shell", "-c", COUNT, db=db, media=media).stdout.strip().splitlines()[-1])
    assert after["projects.projectyear"] == before
