"""WSGI entry point."""
from __future__ import annotations

import logging
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "diaodu.settings")
application = get_wsgi_application()


def _warm() -> None:
    """Build the investment module's name index (撞单 checks) before the first request: at 50,000 leads it
    takes a second or two, which the first person to enter a lead would otherwise wait. A database not
    migrated yet is no reason to fail the start: the index is then built by the first lookup."""
    from django.conf import settings
    from django.db import DatabaseError

    if not settings.DIAODU_WARM_NAME_INDEX:
        return

    from investment.services import name_index_warm

    try:
        count = name_index_warm()
    except DatabaseError as error:
        logging.getLogger(__name__).warning("name index not built at start: %s", error)
    else:
        logging.getLogger(__name__).info("name index built at start: %d names", count)


_warm()
