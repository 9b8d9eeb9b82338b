"""manage.py restore FILE: load a backup into an empty database, all or nothing (core.backup)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.backup import BackupError, restore


class Command(BaseCommand):
    help = "恢复：把备份载入空数据库（非空数据库一律拒绝）/ Restore a backup into an empty database"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)

    def handle(self, *args: Any, archive: Path, verbosity: int = 1, **options: Any) -> None:
        def say(text: str) -> None:
            if verbosity > 1:
                self.stdout.write(text)

        try:
            restored = restore(archive, progress=say)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"恢复完成：{len(restored)} 张表，{sum(restored.values())} 行")
