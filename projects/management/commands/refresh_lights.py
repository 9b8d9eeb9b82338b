"""Recompute every project's light as of today (run daily: lights change as time passes)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from projects.services import lights_refresh_all


class Command(BaseCommand):
    help = "重新计算全部项目的红黄绿灯 / Recompute every project's light"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD, default today")

    def handle(self, *args: Any, as_of: dt.date | None, **options: Any) -> None:
        counts = lights_refresh_all(as_of=as_of)
        self.stdout.write(
            f"lights: red {counts.get('red', 0)}, yellow {counts.get('yellow', 0)}, green {counts.get('green', 0)}"
        )
