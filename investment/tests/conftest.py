"""What the investment tests share: a valid credit code, a lead saved through the service, a clean name index."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from investment import creditcode, services
from investment.models import Lead
from investment.services import lead_save
from org.models import User

MakeLead = Callable[..., Lead]


def make_code(body: str, region: str = "370702") -> str:
    """A valid unified social credit code for an enterprise with the organisation code body ``body``."""
    first17 = "91" + region + body + creditcode.organization_check_digit(body)
    return first17 + creditcode.check_digit(first17)


@pytest.fixture(autouse=True)
def fresh_index() -> Iterator[None]:
    """Each test starts with no name index in the process (the database rolls back under it)."""
    services.name_index_forget()
    yield
    services.name_index_forget()


@pytest.fixture
def make_lead(personas: dict[str, User]) -> MakeLead:
    """A lead entered by ``by`` (a persona's key) through ``lead_save``; of that user's unit unless told."""
    def make(name: str, by: str = "reporter", **fields: Any) -> Lead:
        user = personas[by]
        lead = Lead(enterprise=name, source_unit_id=fields.pop("source_unit_id", user.unit_id), **fields)
        return lead_save(by=user, lead=lead).lead

    return make
