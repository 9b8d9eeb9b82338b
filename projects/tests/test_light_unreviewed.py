"""Which figures feed the light: the live ones, and the light says when some were not reviewed.

See docs/rules.md ("未审核数据") and projects.rules rule 6.
"""
from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from org.models import User
from projects import rules
from projects.models import AnnualPlan, ProgressReport
from projects.services import lights_refresh_all, progress_save, project_light

TZ = ZoneInfo("Asia/Shanghai")
NOTE = "含未审核数据：2026年11月进度由单位填报，项目办尚未审核"


def _facts(**extra: Any) -> rules.ProjectFacts:
    return rules.ProjectFacts(
        stage="building", planned_start=dt.date(2026, 3, 1), actual_start=dt.date(2026, 3, 1), milestones=[],
        annual_plan=Decimal("1000"), invested_ytd=Decimal("100"), **extra,
    )


def test_the_note_comes_last_in_the_light_it_qualifies() -> None:
    plain = rules.compute_light(_facts(), as_of=dt.date(2026, 12, 1))
    noted = rules.compute_light(_facts(unreviewed=("2026年11月",)), as_of=dt.date(2026, 12, 1))
    assert noted.light == plain.light == rules.RED
    assert noted.reasons[:-1] == plain.reasons
    assert noted.reasons[-1] == rules.Reason(rules.RULE_UNREVIEWED, rules.RED, NOTE)
    assert all(r.rule != rules.RULE_UNREVIEWED for r in plain.reasons)


def test_the_rules_in_words_state_the_decision() -> None:
    text = "\n".join(rules.rules_in_words())
    assert "项目办尚未审核" in text and "含未审核数据" in text


def test_a_unit_reporters_progress_is_noted_and_the_offices_is_not(
    personas: dict[str, User], make_project: Any
) -> None:
    project = make_project()
    AnnualPlan.objects.create(project=project, year=2026, amount=Decimal("1000"))
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=TZ), tick=False):
        report = progress_save(
            by=personas["other_reporter"],
            report=ProgressReport(project=project, year=2026, month=11, invested=Decimal("900")),
        )
        assert report.approved is False
        project.refresh_from_db()
        assert [r for _light, r in project.light_reasons][-1] == NOTE
        assert NOTE in [r.text for r in project_light(project).reasons]
        lights_refresh_all()
        project.refresh_from_db()
        assert [r for _light, r in project.light_reasons][-1] == NOTE

        report.invested = Decimal("950")
        report = progress_save(by=personas["office"], report=report)
        assert report.approved is True
        project.refresh_from_db()
        assert NOTE not in [r for _light, r in project.light_reasons]


def test_months_after_the_assessment_date_do_not_feed_the_light(make_project: Any) -> None:
    project = make_project()
    AnnualPlan.objects.create(project=project, year=2026, amount=Decimal("1200"))
    ProgressReport.objects.create(project=project, year=2026, month=5, invested=Decimal("500"), approved=True)
    ProgressReport.objects.create(project=project, year=2026, month=6, invested=Decimal("700"))
    # As of 31 May: 500 of 1200 (41.7%) against a 41.7% schedule; June's report is not part of it.
    reasons = [r.text for r in project_light(project, as_of=dt.date(2026, 5, 31)).reasons]
    assert reasons == ["年度投资完成 41.7%，序时进度 41.7%，未落后"]
    assert lights_refresh_all(as_of=dt.date(2026, 5, 31)) == {"green": 1}


def test_the_migration_marks_rows_already_reviewed(personas: dict[str, User], make_project: Any) -> None:
    from django.apps import apps

    from core.models import Period
    from dispatch.models import UnitReport
    from org.models import Unit

    migration = importlib.import_module("projects.migrations.0004_progress_approved")
    gxj, town_a = Unit.objects.get(short_name="工信局"), Unit.objects.get(name="东城街道")
    ours, theirs = make_project(lead_unit=gxj), make_project(lead_unit=town_a)
    published = Period.objects.create(year=2026, month=1, opens_on=dt.date(2026, 1, 1), deadline=dt.date(2026, 1, 23),
                                      state=Period.State.PUBLISHED)
    current = Period.objects.create(year=2026, month=2, opens_on=dt.date(2026, 2, 1), deadline=dt.date(2026, 2, 25))
    UnitReport.objects.create(period=current, unit=gxj, state=UnitReport.State.APPROVED)
    UnitReport.objects.create(period=current, unit=town_a, state=UnitReport.State.SUBMITTED)

    def row(project: Any, month: int, period: Period | None, by: User | None = None) -> ProgressReport:
        return ProgressReport.objects.create(project=project, year=2026, month=month, period=period,
                                             invested=Decimal(1), reported_by=by)

    rows = {
        "published": row(theirs, 1, published, personas["reporter"]),
        "approved report": row(ours, 2, current, personas["reporter"]),
        "submitted report": row(theirs, 2, current, personas["reporter"]),
        "office entered": row(theirs, 3, current, personas["office"]),
        "outside any period": row(ours, 4, None, personas["reporter"]),
    }
    migration.mark_reviewed(apps, None)
    assert {name: ProgressReport.objects.get(pk=r.pk).approved for name, r in rows.items()} == {
        "published": True, "approved report": True, "submitted report": False, "office entered": True,
        "outside any period": True,
    }
