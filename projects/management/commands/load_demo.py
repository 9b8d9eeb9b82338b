"""Load the fictional demo district 示范区: units, people, about 80 key projects with a year of progress."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from projects import services
from projects.demo import DEMO_SEED, DemoError, demo_check_reset, demo_load
from projects.models import Project


class Command(BaseCommand):
    help = (
        "载入虚构的示范区演示数据 / Load the fictional demo district. "
        "--reset first removes the demo's projects, users and units (only in a database holding demo data alone)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="do nothing when any project exists")
        parser.add_argument("--reset", action="store_true", help="remove the demo data first, then load it again")
        parser.add_argument("--seed", type=int, default=DEMO_SEED, help=f"random seed (default {DEMO_SEED})")
        parser.add_argument(
            "--as-of", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD the data is current to, default today"
        )

    def handle(self, *args: Any, if_empty: bool, reset: bool, seed: int, as_of: dt.date | None, **options: Any) -> None:
        if if_empty and Project.objects.exists():
            self.stdout.write("项目库已有项目，未载入演示数据 / projects exist, demo not loaded")
            return
        from dispatch.demo import dispatch_demo_delete, dispatch_demo_load

        try:
            if reset:
                demo_check_reset()
                dispatch_demo_delete()
            summary = demo_load(seed=seed, as_of=as_of, reset=reset)
        except DemoError as error:
            raise CommandError(str(error)) from error
        dispatched = dispatch_demo_load(as_of=as_of or services.today(), seed=seed)
        # The lights as stored at the end: the dispatch history adds the current month's rows.
        lights = Counter(Project.objects.values_list("light", flat=True))
        self.stdout.write(
            f"示范区演示数据 / demo district: {summary.units} units, {summary.users} users, "
            f"{summary.projects} projects, {summary.plans} annual plans, {summary.milestones} milestones, "
            f"{summary.reports} monthly reports ({summary.seconds:.1f} s)"
        )
        self.stdout.write(
            f"lights: red {lights.get('red', 0)}, yellow {lights.get('yellow', 0)}, green {lights.get('green', 0)}"
        )
        self.stdout.write(
            f"调度 / dispatch: {dispatched['published']} published months with {dispatched['bulletins']} bulletins, "
            f"current month open ({dispatched['current_reports']} rows reported), {dispatched['problems']} problems"
        )
