from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("重点项目")

    def ready(self) -> None:
        from core import demo
        from projects import policies  # noqa: F401 - registers the ledger's rules
        from projects.demo import DEMO_PART

        demo.register(DEMO_PART)
