"""Load the fictional demo district 示范区: every module's part of it (core.demo), in layer order."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from core import clock
from core.demo import DEMO_SEED, DemoError, demo_load_all, parts


class Command(BaseCommand):
    help = (
        "载入虚构的示范区演示数据 / Load the fictional demo district. "
        "--reset first removes the demo's data (only in a database holding demo data alone)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="do nothing when demo or real data exist")
        parser.add_argument("--reset", action="store_true", help="remove the demo data first, then load it again")
        parser.add_argument("--seed", type=int, default=DEMO_SEED, help=f"random seed (default {DEMO_SEED})")
        parser.add_argument(
            "--as-of", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD the data is current to, default today"
        )

    def handle(self, *args: Any, if_empty: bool, reset: bool, seed: int, as_of: dt.date | None, **options: Any) -> None:
        if if_empty and any(part.present() for part in parts()):
            self.stdout.write("项目库已有项目，未载入演示数据 / projects exist, demo not loaded")
            return
        try:
            with transaction.atomic():
                lines = demo_load_all(seed=seed, as_of=as_of or clock.today(), reset=reset)
        except DemoError as error:
            raise CommandError(str(error)) from error
        for line in lines:
            self.stdout.write(line)
