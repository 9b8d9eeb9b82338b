"""Rebuild the ledger's year figures (``ProjectYear``) from every monthly report and annual plan.

The services keep them up to date; this is for data written around them (a restore of an older
archive, a bulk load, a fix made in the database by hand). ``--check`` only reports differences.
"""
from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from projects.services import year_figures_differences, year_figures_rebuild


class Command(BaseCommand):
    help = "重建项目库的年度计划与年度完成投资数据 / Rebuild the ledger's per-project year figures"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="only compare with the reports and plans; exit 1 if they differ"
        )

    def handle(self, *args: Any, check: bool, **options: Any) -> None:
        if check:
            differences = year_figures_differences()
            for line in differences[:50]:
                self.stdout.write(line)
            if differences:
                raise CommandError(f"{len(differences)} project years differ; run rebuild_year_figures")
            self.stdout.write("year figures agree with the reports and plans")
            return
        began = time.perf_counter()
        rows = year_figures_rebuild()
        self.stdout.write(f"year figures: {rows} rows ({time.perf_counter() - began:.1f} s)")
