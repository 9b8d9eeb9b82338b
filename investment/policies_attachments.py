"""Who may do what with a lead's files (registered in InvestmentConfig.ready): those who see the lead read
them; those who may change the lead add them; the office, or whoever added a file, removes it while the
lead is open."""
from __future__ import annotations

from core.policies import rule
from investment import policies
from investment.models import Attachment, Lead
from org.models import User


@rule("investment.attach")
def attach(user: User, lead: Lead | None = None) -> bool:
    """Whoever may change a lead keeps files with it (意向书, 协议): the office and the lead's unit, while the
    lead is open."""
    return policies.edit(user, lead)


@rule("investment.remove_attachment")
def remove_attachment(user: User, attachment: Attachment | None = None) -> bool:
    """A file is removed by the office, or by whoever uploaded it while still allowed to change the lead."""
    if attachment is None:
        return policies.create(user)
    if not policies.edit(user, attachment.lead):
        return False
    return user.is_office or (attachment.uploaded_by_id is not None and attachment.uploaded_by_id == user.pk)
