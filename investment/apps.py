from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvestmentConfig(AppConfig):
    name = "investment"
    verbose_name = _("招商引资")

    def ready(self) -> None:
        from core import hooks
        from investment import policies  # noqa: F401 - registers the rules on leads and chains

        hooks.restored.register(_forget_name_index)


def _forget_name_index(*, tables: set[str]) -> None:
    """A restored archive brings other leads under the same counter values: build the name index again."""
    from investment.services import name_index_forget

    name_index_forget()
