from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvestmentConfig(AppConfig):
    name = "investment"
    verbose_name = _("招商引资")

    def ready(self) -> None:
        from core import hooks
        from investment import (  # noqa: F401 - registers the rules on leads, chains and the rest
            policies,
            policies_attachments,
            policies_chains,
            policies_conversion,
            policies_excel,
            policies_maps,
            policies_targets,
        )

        hooks.restored.register(_forget_name_index)
        from core import demo
        from investment.demo import DEMO_PART

        demo.register(DEMO_PART)
        # Targets and ranking: the month frozen at publication, and the bulletin's 招商引资 section.
        from core import publication
        from investment import bulletin, snapshot

        publication.register_builder(snapshot.BUILDER)
        hooks.bulletin_parts.register(bulletin.bulletin_part)
        from investment import hooks as investment_hooks

        hooks.project_sections.register(investment_hooks.project_origin)


def _forget_name_index(*, tables: set[str]) -> None:
    """A restored archive brings other leads under the same counter values: build the name index again."""
    from investment.services import name_index_forget

    name_index_forget()
