"""Print the demo logins after `make run` has loaded the demo district."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from org.demo import DEMO_LOGINS, DEMO_PASSWORD
from org.models import User


class Command(BaseCommand):
    help = "打印演示账号 / Print the demo logins"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="where the site is served")

    def handle(self, *args: Any, url: str, **options: Any) -> None:
        self.stdout.write("")
        self.stdout.write(f"diaodu 示范区演示账号 / demo logins  —  {url}")
        for username, _role, label in DEMO_LOGINS:
            if User.objects.filter(username=username).exists():
                self.stdout.write(f"  {username:<10} {DEMO_PASSWORD}   {label}")
        self.stdout.write("")
