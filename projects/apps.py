from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("重点项目")

    def ready(self) -> None:
        from core import demo, hooks
        from projects import policies  # noqa: F401 - registers the ledger's rules
        from projects.demo import DEMO_PART

        demo.register(DEMO_PART)
        hooks.restored.register(_rebuild_year_figures)


def _rebuild_year_figures(*, tables: set[str]) -> None:
    """An archive made before the yearly figures existed restores without them: rebuild them."""
    if "projects.projectyear" not in tables:
        from projects.services import year_figures_rebuild

        year_figures_rebuild()
