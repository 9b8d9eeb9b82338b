from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = _("月度调度")

    def ready(self) -> None:
        from core import demo, hooks, publication
        from dispatch import hooks as answers
        from dispatch import policies  # noqa: F401 - registers the dispatch cycle's rules
        from dispatch.demo import DEMO_PART
        from dispatch.periods.services import SNAPSHOT_BUILDERS

        hooks.handed_in.register(answers.handed_in)
        hooks.project_sections.register(answers.project_problems)
        demo.register(DEMO_PART)
        # What a published period is read from: the projects' and the period's snapshots.
        for builder in SNAPSHOT_BUILDERS:
            publication.register_builder(builder)
