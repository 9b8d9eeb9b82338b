"""One-file backups: every table as portable JSON plus the kept files, checked by sha256 on restore.

The archive is a zip with ``manifest.json`` (format, when, the migrations it was taken at, each
table's row count, each member's sha256), one ``data/<app>.<model>.jsonl`` per table (one
serialized row a line, Django's JSON serializer, primary keys kept) and ``media/…`` (generated
bulletins and slips). It is the same on SQLite and PostgreSQL, so moving a district from the
embedded database to PostgreSQL is a backup and a restore.

Restore loads an archive into an empty database (one that has no tables, or only what ``migrate``
creates by itself) and refuses any other: it never merges into or overwrites live data. It
refuses an archive whose members do not match their sha256, or that was taken at migrations the
code does not have.
"""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from core import hooks

FORMAT = "diaodu-backup/1"
MANIFEST = "manifest.json"
BATCH = 2000
# Rows ``migrate`` creates by itself: Django's content types and permissions, and the rows of any
# model that declares ``seeded_by_migrations = True`` (filled by a data migration). A database
# holding only these counts as empty, and restore replaces them with the archive's.
DJANGO_SEEDED = {"contenttypes.contenttype", "auth.permission"}


class BackupError(Exception):
    """The archive or the target database is not fit for a restore; the message says why."""


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def tables() -> list[type[models.Model]]:
    """Every concrete table Django manages, the many-to-many link tables included, in dependency order."""
    found = [
        m for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and not m._meta.swapped
    ]
    ordered: list[type[models.Model]] = []
    seen: set[str] = set()

    def visit(model: type[models.Model], path: tuple[str, ...] = ()) -> None:
        label = _label(model)
        if label in seen or label in path:
            return
        for field in model._meta.concrete_fields:
            target = field.related_model
            if field.is_relation and isinstance(target, type) and target is not model and target in found:
                visit(target, (*path, label))
        seen.add(label)
        ordered.append(model)

    for model in sorted(found, key=_label):
        visit(model)
    return ordered


def _rows(model: type[models.Model]) -> Iterator[str]:
    manager = model._base_manager
    queryset = manager.order_by("pk")
    for start in range(0, queryset.count(), BATCH):
        chunk = list(queryset[start : start + BATCH])
        # m2m values are written by their link tables, which are dumped as tables of their own.
        for row in json.loads(serializers.serialize("json", chunk)):
            row["fields"] = {
                name: value for name, value in row["fields"].items()
                if not isinstance(model._meta.get_field(name), models.ManyToManyField)
            }
            yield json.dumps(row, ensure_ascii=False, sort_keys=True)


def _media_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _applied_migrations(using: str = DEFAULT_DB_ALIAS) -> list[list[str]]:
    return sorted([app, name] for app, name in MigrationRecorder(connections[using]).applied_migrations())


def backup_write(out: Path, *, progress: Callable[[str], None] = lambda text: None) -> dict[str, Any]:
    """Write the archive to ``out`` (atomically: a temporary name, renamed when complete)."""
    media_root = Path(settings.MEDIA_ROOT)
    counts: dict[str, int] = {}
    digests: dict[str, str] = {}
    partial = out.with_name(out.name + ".partial")
    with transaction.atomic(), zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        # One transaction: on PostgreSQL the dump reads one consistent state of every table.
        for model in tables():
            label = _label(model)
            name = f"data/{label}.jsonl"
            digest = hashlib.sha256()
            count = 0
            with archive.open(name, "w") as member:
                for line in _rows(model):
                    data = (line + "\n").encode()
                    member.write(data)
                    digest.update(data)
                    count += 1
            counts[label], digests[name] = count, digest.hexdigest()
            progress(f"{label}: {count}")
        for path in _media_files(media_root):
            name = "media/" + path.relative_to(media_root).as_posix()
            data = path.read_bytes()
            archive.writestr(name, data)
            digests[name] = hashlib.sha256(data).hexdigest()
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "database": connections[DEFAULT_DB_ALIAS].vendor,
            "migrations": _applied_migrations(),
            "tables": counts,
            "sha256": digests,
        }
        archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True))
    partial.replace(out)
    return manifest


@dataclass(frozen=True)
class Archive:
    manifest: dict[str, Any]
    zip: zipfile.ZipFile

    def lines(self, label: str) -> Iterable[str]:
        with self.zip.open(f"data/{label}.jsonl") as member:
            for raw in io.TextIOWrapper(member, encoding="utf-8"):
                if raw.strip():
                    yield raw


def archive_open(path: Path) -> Archive:
    """Open and verify an archive: its format, and every member against the manifest's sha256."""
    try:
        archive = zipfile.ZipFile(path)
        manifest = json.loads(archive.read(MANIFEST))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise BackupError(f"不是 diaodu 备份文件：{exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"备份格式为 {manifest.get('format')!r}，本程序只能恢复 {FORMAT}。")
    expected = manifest.get("sha256", {})
    present = {info.filename for info in archive.infolist()} - {MANIFEST}
    if present != set(expected):
        raise BackupError("备份文件内容与清单不符（多出或缺少文件），可能已损坏或被改动。")
    for name, digest in expected.items():
        actual = hashlib.sha256()
        with archive.open(name) as member:
            for block in iter(lambda: member.read(1 << 20), b""):
                actual.update(block)
        if actual.hexdigest() != digest:
            raise BackupError(f"备份文件中 {name} 的校验值不符，可能已损坏或被改动，未恢复任何数据。")
    return Archive(manifest, archive)


def _seeded(model: type[models.Model]) -> bool:
    return _label(model) in DJANGO_SEEDED or getattr(model, "seeded_by_migrations", False) is True


def _database_has_tables(using: str) -> bool:
    return MigrationRecorder.Migration._meta.db_table in connections[using].introspection.table_names()


def _nonempty_tables(using: str) -> list[str]:
    existing = set(connections[using].introspection.table_names())
    return [
        _label(m) for m in tables()
        if not _seeded(m) and m._meta.db_table in existing and m._base_manager.using(using).exists()
    ]


def _objects(archive: Archive, label: str, using: str) -> Iterator[list[models.Model]]:
    """The archive's rows of one table as unsaved model instances, a batch at a time."""
    lines: list[str] = []
    for line in archive.lines(label):
        lines.append(line)
        if len(lines) >= BATCH:
            yield [obj.object for obj in serializers.deserialize("json", "[" + ",".join(lines) + "]", using=using)]
            lines = []
    if lines:
        yield [obj.object for obj in serializers.deserialize("json", "[" + ",".join(lines) + "]", using=using)]


def _media_restore(archive: Archive, media_root: Path) -> None:
    root = media_root.resolve()
    for info in archive.zip.infolist():
        if not info.filename.startswith("media/") or info.is_dir():
            continue
        target = (root / info.filename.removeprefix("media/")).resolve()
        if root not in target.parents:
            raise BackupError(f"备份中的文件路径不安全：{info.filename}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(archive.zip.read(info.filename))


def restore(
    path: Path, *, using: str = DEFAULT_DB_ALIAS, progress: Callable[[str], None] = lambda text: None,
) -> dict[str, int]:
    """Load the archive into an empty database, all or nothing; return the rows restored per table."""
    archive = archive_open(path)
    if not _database_has_tables(using):
        progress("migrate")
        call_command("migrate", database=using, interactive=False, verbosity=0)
    busy = _nonempty_tables(using)
    if busy:
        raise BackupError(
            "目标数据库不是空的（" + "、".join(busy[:5]) + " 等表已有数据）；恢复只能载入空数据库，未做任何改动。"
        )
    applied = {tuple(pair) for pair in _applied_migrations(using)}
    unknown = [f"{app}.{name}" for app, name in archive.manifest.get("migrations", []) if (app, name) not in applied]
    if unknown:
        raise BackupError(
            "备份取自更新版本的程序（本程序没有迁移 " + "、".join(unknown[:3]) + "），请先升级程序再恢复。"
        )
    restored: dict[str, int] = {}
    connection = connections[using]
    every = tables()
    with transaction.atomic(using=using):
        # Dependants first, so no row is left pointing at a deleted one.
        for model in reversed(every):
            if _seeded(model):
                model._base_manager.using(using).all().delete()
        with connection.constraint_checks_disabled():
            for model in every:
                label = _label(model)
                if label not in archive.manifest["tables"]:
                    continue
                restored[label] = 0
                for batch in _objects(archive, label, using):
                    model._base_manager.using(using).bulk_create(batch)
                    restored[label] += len(batch)
                progress(f"{label}: {restored[label]}")
        connection.check_constraints()
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), every):
                cursor.execute(sql)
        for label, count in archive.manifest["tables"].items():
            if restored.get(label, 0) != count:
                raise BackupError(f"{label} 应恢复 {count} 行，实际 {restored.get(label, 0)} 行，未做任何改动。")
        # Derived tables an older archive lacks are rebuilt by the module that keeps them.
        hooks.restored.all(tables=set(archive.manifest["tables"]))
        # Inside the transaction: a file that cannot be written rolls the tables back too.
        _media_restore(archive, Path(settings.MEDIA_ROOT))
    return restored
