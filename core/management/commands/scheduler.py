"""``manage.py scheduler``: enqueue the recurring jobs (each module's ``tasks.RECURRING``) when due.

Lights are refreshed daily and reminders sent hourly; each runs once per slot (day or hour) however
many schedulers run or however often they wake (core.tasks.recurring_enqueue_due), and the worker
runs them. ``--once`` checks once and exits (for a systemd timer or cron instead of this process).
"""
from __future__ import annotations

import signal
import sys
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from core import tasks


class Command(BaseCommand):
    help = "定时任务调度（每日刷新红黄绿灯、每小时催报）/ Enqueue recurring jobs when due"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="check once and exit")
        parser.add_argument("--interval", type=float, default=60, help="seconds between checks (default 60)")

    def handle(self, *args: Any, once: bool, interval: float, **options: Any) -> None:
        def stop(signum: int, frame: FrameType | None) -> None:
            sys.exit(0)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while True:
            close_old_connections()
            for job in tasks.recurring_enqueue_due():
                self.stdout.write(f"scheduled {job.kind} {job.key}")
            tasks.jobs_recover()
            if once:
                return
            time.sleep(interval)
