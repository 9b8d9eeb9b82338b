"""Instructions (批示): a district leader writes one on a problem or on a project.

An instruction is kept for good and listed, newest first, on the item's page: it is the item's history
of instructions. It is not a step of the problem (``ProblemStep``): a 批示 moves no state and no
version, so nobody's open form on the problem goes stale because a leader wrote one, and the steps'
actions are a closed list of choices. The write is audited on the item's history subject (a problem
with a project shows on the project's page), and the people who must act on it are told: the unit
responsible (a problem's responsible unit; a project's lead unit and its co-units, 配合单位) through its
reporters, and the project office, in-app at once and by e-mail and the group robot after the commit.

Any item the leader can see takes one, whatever its state: a leader comments on a problem just closed (办结)
or on a unit's proposal to enter the ledger (入库申请) as much as on work under way.
"""
from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.policies import require
from dispatch.models import Instruction, Problem
from dispatch.notify import notify_users, office_users, reporters_of_units
from dispatch.periods.services import DispatchError
from org.models import User
from projects.models import Project

# The longest instruction, in characters: a 批示 is a few sentences, not a document.
TEXT_MAX_LENGTH = 1000


def instruction_recipients(*, problem: Problem | None = None, project: Project | None = None) -> list[User]:
    """Who is told of an instruction: the reporters of the unit responsible and the project office, once each."""
    if problem is not None:
        unit_ids = [problem.responsible_unit_id]
    else:
        assert project is not None
        unit_ids = [project.lead_unit_id, *project.co_units.values_list("pk", flat=True)]
    people = {user.pk: user for user in [*reporters_of_units(unit_ids), *office_users()]}
    return list(people.values())


def instruction_url(instruction: Instruction) -> str:
    """The page the instruction is read on, at its section."""
    if instruction.problem_id is not None:
        return reverse("dispatch:problem_detail", args=[instruction.problem_id]) + "#instructions"
    return reverse("projects:detail", args=[instruction.project_id]) + "#instructions"


@transaction.atomic
def instruction_create(
    *, by: User, text: str, problem: Problem | None = None, project: Project | None = None
) -> Instruction:
    """Write a leader's instruction on a problem or (exclusively) a project; audit it and tell the people
    responsible, in-app and through the district's other channels once the transaction commits."""
    if (problem is None) == (project is None):
        raise ValueError("an instruction is on a problem or on a project, exactly one of them")
    item: Problem | Project = problem if problem is not None else project  # type: ignore[assignment]
    require(by, "dispatch.instruct", item)
    text = text.strip()
    if not text:
        raise DispatchError(_("请填写批示内容。"))
    if len(text) > TEXT_MAX_LENGTH:
        words = _("批示内容不能超过 %(limit)d 个字（现有 %(count)d 个字）。")
        raise DispatchError(words % {"limit": TEXT_MAX_LENGTH, "count": len(text)})
    instruction = Instruction.objects.create(problem=problem, project=project, text=text, by=by)
    subject = problem.audit_subject() if problem is not None else project
    audit_record(by=by, instance=instruction, before={}, subject=subject)
    if problem is not None:
        words = _("%(leader)s对督办问题“%(item)s”作出批示：%(text)s")
        about = str(problem)
    else:
        assert project is not None
        words = _("%(leader)s对项目“%(item)s”作出批示：%(text)s")
        about = project.name
    notify_users(
        instruction_recipients(problem=problem, project=project),
        words % {"leader": by, "item": about, "text": text},
        instruction_url(instruction),
        exclude=by,
        everywhere=True,
        subject=_("领导批示：%(item)s") % {"item": about[:40]},
    )
    return instruction
