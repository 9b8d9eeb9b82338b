"""manage.py backup --out FILE: every table and the kept files in one checked archive (core.backup)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core.backup import backup_write


class Command(BaseCommand):
    help = "备份：把所有数据表和生成的文件写入一个带校验值的归档文件 / Back up every table and the kept files"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, type=Path, help="the archive to write, e.g. diaodu-20261202.zip")

    def handle(self, *args: Any, out: Path, verbosity: int = 1, **options: Any) -> None:
        def say(text: str) -> None:
            if verbosity > 1:
                self.stdout.write(text)

        manifest = backup_write(out, progress=say)
        rows = sum(manifest["tables"].values())
        files = sum(1 for name in manifest["sha256"] if name.startswith("media/"))
        self.stdout.write(f"备份完成：{out}（{len(manifest['tables'])} 张表，{rows} 行，{files} 个文件）")
