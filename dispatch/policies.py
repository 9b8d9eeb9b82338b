"""Who may do what in the dispatch cycle (registered in DispatchConfig.ready).

The office runs the cycle (periods, review, publication, corrections, bulletins, supervision);
a unit's reporter fills in the unit's report and answers the unit's problems; leaders and viewers read.
"""
from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from core.models import Period
from core.policies import rule
from dispatch.models import Problem, UnitReport
from dispatch.supervision import services as problems
from org.models import User
from projects.models import ProgressReport, Project


@rule("dispatch.see_all_units")
def see_all_units(user: User, obj: Any = None) -> bool:
    """Everybody but a reporter sees every unit's reports, problems and corrections; a reporter only the unit's."""
    return user.role != User.Role.REPORTER


@rule("dispatch.view_report")
def view_report(user: User, unit_report: UnitReport | None = None) -> bool:
    """A unit report is read by everybody except the reporters of other units."""
    return see_all_units(user) or unit_report is None or unit_report.unit_id == user.unit_id


@rule("dispatch.fill_own")
def fill_own(user: User, unit_report: UnitReport | None = None) -> bool:
    """A reporter fills in the unit's own report (with a report: only that unit's)."""
    if user.role != User.Role.REPORTER:
        return False
    return unit_report is None or (user.unit_id is not None and unit_report.unit_id == user.unit_id)


@rule("dispatch.report")
def report(user: User, unit_report: UnitReport | None = None) -> bool:
    """The monthly grid (月度填报) is written by the office for any unit and by a reporter for the unit's own."""
    return user.is_office or fill_own(user, unit_report)


@rule("dispatch.manage_periods")
def manage_periods(user: User, obj: Any = None) -> bool:
    """The office opens, closes and reopens reporting periods."""
    return user.is_office


@rule("dispatch.review")
def review(user: User, unit_report: UnitReport | None = None) -> bool:
    """The office approves or returns the units' reports."""
    return user.is_office


@rule("dispatch.publish")
def publish(user: User, period: Period | None = None) -> bool:
    """The office publishes a period, which freezes its data into snapshots."""
    return user.is_office


@rule("dispatch.remind_units")
def remind_units(user: User, period: Period | None = None) -> bool:
    """The office presses 催报 on a period's board: every unit that has not yet reported is reminded at once."""
    return user.is_office


@rule("dispatch.export_reporting")
def export_reporting(user: User, period: Period | None = None) -> bool:
    """The office and the district leaders download who has reported in a period: every unit, its
    reporters, the state of its report and when it was last reminded."""
    return user.is_office or user.role == User.Role.LEADER


@rule("dispatch.request_correction")
def request_correction(user: User, report: ProgressReport | None = None) -> bool:
    """A correction of published figures is asked for by whoever may edit the report's project."""
    if report is None:
        return user.is_office or user.role == User.Role.REPORTER
    return Project.objects.editable_by(user).filter(pk=report.project_id).exists()


@rule("dispatch.decide_corrections")
def decide_corrections(user: User, obj: Any = None) -> bool:
    """The office approves or rejects corrections of published figures and sees every request."""
    return user.is_office


@rule("dispatch.generate_bulletin")
def generate_bulletin(user: User, period: Period | None = None) -> bool:
    """The office generates the bulletin (通报) of a period, once the period is published."""
    return user.is_office and (period is None or period.state == Period.State.PUBLISHED)


@rule("dispatch.write_narrative")
def write_narrative(user: User, period: Period | None = None) -> bool:
    """The office writes a bulletin's own words (存在的主要问题, 下步工作安排) while the period is not published;
    publishing freezes them with the period, and nobody changes them after."""
    return user.is_office and (period is None or not period.is_frozen)


@rule("dispatch.edit_bulletin_template")
def edit_bulletin_template(user: User, obj: Any = None) -> bool:
    """The office (administrators included) shapes the bulletin: its names, 版记 and sections (通报模板), and
    downloads a sample of it; publishing freezes it with the period, so it never changes a published bulletin."""
    return user.is_office


@rule("dispatch.create_problem")
def create_problem(user: User, obj: Any = None) -> bool:
    """The office raises a problem for supervision (督办) and assigns it to a unit and a leader."""
    return user.is_office


def _acts_for_unit(user: User, problem: Problem) -> bool:
    """The responsible unit acts on its problems through its reporters."""
    return (
        user.role == User.Role.REPORTER and user.unit_id is not None and user.unit_id == problem.responsible_unit_id
    )


def _unit_or_any_reporter(user: User, problem: Problem | None) -> bool:
    return user.role == User.Role.REPORTER if problem is None else _acts_for_unit(user, problem)


@rule("dispatch.accept_problem")
def accept_problem(user: User, problem: Problem | None = None) -> bool:
    """A problem assigned to a unit is taken in hand (签收) by the unit's reporter, or recorded so by the office."""
    return user.is_office or _unit_or_any_reporter(user, problem)


@rule("dispatch.answer_problem")
def answer_problem(user: User, problem: Problem | None = None) -> bool:
    """The responsible unit's reporter reports what the unit has done about its problem (反馈)."""
    return _unit_or_any_reporter(user, problem)


@rule("dispatch.close_problem")
def close_problem(user: User, problem: Problem | None = None) -> bool:
    """The office accepts a unit's answer and closes the problem (办结)."""
    return user.is_office


@rule("dispatch.send_back_problem")
def send_back_problem(user: User, problem: Problem | None = None) -> bool:
    """The office does not accept a unit's answer and sends the problem back to be handled again (退回重办)."""
    return user.is_office


@rule("dispatch.reassign_problem")
def reassign_problem(user: User, problem: Problem | None = None) -> bool:
    """The office assigns a problem handed back to it (已退回) to another unit (重新交办)."""
    return user.is_office


@rule("dispatch.act_on_problem")
def act_on_problem(user: User, problem: Problem | None = None) -> bool:
    """A problem moves by its transitions table: the office closes and sends back, the responsible unit's
    reporter accepts and answers."""
    if problem is None:
        return user.is_office or user.role == User.Role.REPORTER
    return any(problems.TRANSITIONS.may_take(user, problem, action) for action in problems.ACT_ACTIONS)


@rule("dispatch.request_extension")
def request_extension(user: User, problem: Problem | None = None) -> bool:
    """The responsible unit's reporter asks for more time on the unit's problem."""
    return _unit_or_any_reporter(user, problem)


@rule("dispatch.decide_extension")
def decide_extension(user: User, obj: Any = None) -> bool:
    """The office grants or refuses a request for more time."""
    return user.is_office


@rule("dispatch.request_return")
def request_return(user: User, problem: Problem | None = None) -> bool:
    """The responsible unit's reporter may say a problem is not the unit's and ask to hand it back (退回申请)."""
    return _unit_or_any_reporter(user, problem)


@rule("dispatch.decide_return")
def decide_return(user: User, obj: Any = None) -> bool:
    """The office approves a unit's request to hand a problem back (and assigns it again) or rejects it."""
    return user.is_office


@rule("dispatch.be_responsible_leader")
def be_responsible_leader(user: User, obj: Any = None) -> bool:
    """Only a district leader can be named the responsible leader (责任领导) of a supervised problem."""
    return user.role == User.Role.LEADER


def responsible_leaders() -> QuerySet[User]:
    """The people rule ``dispatch.be_responsible_leader`` allows, for the choices of a form."""
    return User.objects.filter(role=User.Role.LEADER)


@rule("dispatch.follow_own_problems")
def follow_own_problems(user: User, obj: Any = None) -> bool:
    """A leader can narrow the problems to those he or she is responsible for."""
    return user.role == User.Role.LEADER


# --- leaders (dispatch.leaders) ----------------------------------------------------------------

@rule("dispatch.leader_home")
def leader_home(user: User, obj: Any = None) -> bool:
    """A district leader has a home page (领导首页) of his or her own: the projects he or she is responsible for
    (包靠), red and yellow first, their problems and this month's changes; it is where the site opens for a leader."""
    return user.role == User.Role.LEADER


@rule("dispatch.instruct")
def instruct(user: User, obj: Any = None) -> bool:
    """Only a district leader writes an instruction (批示) on a problem or a project; the office, the units and the
    viewers read the instructions wherever they may see the problem or the project."""
    return user.role == User.Role.LEADER
