"""What every page's layout reads: the district's name from its settings (区县设置)."""
from __future__ import annotations

from django.http import HttpRequest

from core.district import district


def site(request: HttpRequest) -> dict[str, str]:
    return {"district_name": district().district_name}
