"""Send the reminders due today to units whose monthly report is missing; safe to run twice.

Run it once a day from cron (e.g. 08:30). ``--date`` sends what was due on another day, for
catching up after an outage or for trying the rules out.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dispatch.periods.reminders import describe, reminders_send
from dispatch.periods.services import today


class Command(BaseCommand):
    help = "向未报送月报的单位发送催报提醒（站内消息、邮件、群机器人）/ Remind units whose reports are missing"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="YYYY-MM-DD, default today")

    def handle(self, *args: Any, **options: Any) -> None:
        day = today()
        if options["date"]:
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(f"--date 应为 YYYY-MM-DD / --date must be YYYY-MM-DD: {options['date']}") from exc
        result = reminders_send(today=day)
        for line in describe(result):
            self.stdout.write(line)
        if result.errors:
            self.stderr.write(self.style.WARNING(f"{len(result.errors)} error(s), see above"))
