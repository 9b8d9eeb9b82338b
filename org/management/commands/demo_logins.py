"""Print the demo logins after `make run` has loaded the demo district."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from org.demo import DEMO_LOGINS, DEMO_PASSWORD
from org.models import User


class Command(BaseCommand):
    help = "打印演示账号 / Print the demo logins"

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("")
        self.stdout.write("diaodu 示范区演示账号 / demo logins  —  http://127.0.0.1:8000/")
        for username, _role, label in DEMO_LOGINS:
            if User.objects.filter(username=username).exists():
                self.stdout.write(f"  {username:<10} {DEMO_PASSWORD}   {label}")
        self.stdout.write("")
