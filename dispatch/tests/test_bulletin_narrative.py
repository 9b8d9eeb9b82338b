"""The bulletin's own words (dispatch.bulletins.narrative): drafting, saving with its version, freezing when
the period is published."""
from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import docx
import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from audit.models import AuditEntry
from conftest import client_for
from core import publication
from core.models import Period, PublishedRecord
from dispatch.bulletins.docx import bulletin_docx
from dispatch.bulletins.figures import bulletin_figures
from dispatch.bulletins.narrative import (
    NAMES_SHOWN,
    DraftProblem,
    DraftProject,
    draft_for,
    narrative_draft,
    narrative_save,
)
from dispatch.models import BulletinNarrative
from dispatch.periods import services
from dispatch.periods.services import ConcurrentChange, DispatchError
from dispatch.periods.snapshots import BulletinText, bulletin_text, narrative_take

# The shared fixture; "as april" marks the re-export, so the test arguments do not read as redefinitions.
from dispatch.tests.test_bulletin_figures import april as april
from org.models import User
from projects import rules as light_rules
from projects.rules import Reason

RED, YELLOW, GREEN = light_rules.RED, light_rules.YELLOW, light_rules.GREEN
INVESTMENT = light_rules.RULE_INVESTMENT_BEHIND
START = light_rules.RULE_START_LATE
MILESTONE = light_rules.RULE_MILESTONE_OVERDUE


def _project(name: str, unit: str, light: str, *reasons: tuple[str, str, str]) -> DraftProject:
    return DraftProject(name, unit, light, tuple(Reason(rule, lit, text) for rule, lit, text in reasons))


def _problem(description: str, overdue: int, *, project: str = "", unit: str = "东城街道",
             deadline: dt.date = dt.date(2026, 4, 10)) -> DraftProblem:
    return DraftProblem(description=description, project=project, unit=unit, deadline=deadline, overdue_days=overdue)


# --- drafting (pure) -----------------------------------------------------------------------------------

def test_reasons_are_grouped_counted_and_named_red_first() -> None:
    projects = [
        _project("甲项目", "工信局", YELLOW,
                 (INVESTMENT, YELLOW, "年度投资完成 20.0%，序时进度 33.3%，落后 13.3 个百分点")),
        _project("乙项目", "发改局", RED, (INVESTMENT, RED, "年度投资完成 0.0%，序时进度 33.3%，落后 33.3 个百分点"),
                 (START, YELLOW, "计划 2026-04-30 开工，逾期 1 天未开工")),
        _project("丙项目", "工信局", GREEN, (INVESTMENT, GREEN, "年度投资完成 40.0%，序时进度 33.3%，未落后")),
        _project("丁项目", "西山镇", RED, (MILESTONE, RED, "施工许可节点逾期 60 天"),
                 (light_rules.RULE_UNREVIEWED, RED, "含未审核数据：2026年4月进度由单位填报，项目办尚未审核")),
    ]
    draft = narrative_draft(projects, [])
    lines = draft.problems.split("\n")
    # Investment names two projects, the others one each: investment first, then by the rules' order.
    assert lines == [
        "一是投资进度滞后。2 个项目年度投资完成率落后序时进度（红灯 1 个、黄灯 1 个）："
        "乙项目（年度投资完成 0.0%，序时进度 33.3%，落后 33.3 个百分点）、"
        "甲项目（年度投资完成 20.0%，序时进度 33.3%，落后 13.3 个百分点）。",
        "二是部分项目未按期开工。1 个项目到计划开工日期仍未开工（红灯 1 个、黄灯 0 个）："
        "乙项目（计划 2026-04-30 开工，逾期 1 天未开工）。",
        "三是节点推进滞后。1 个项目有节点逾期未完成（红灯 1 个、黄灯 0 个）：丁项目（施工许可节点逾期 60 天）。",
    ]
    steps = draft.next_steps.split("\n")
    assert steps[0] == ("一是加快投资进度。请发改局、工信局督促乙项目、甲项目对照年度计划倒排工期、挂图作战，"
                        "加快投资完成，尽快追上序时进度。")
    assert steps[1].startswith("二是推动项目尽快开工。请发改局加快乙项目的前期手续办理")
    assert steps[2].startswith("三是抓好节点推进。请西山镇督促丁项目限期完成逾期节点")
    # Green reasons and the note on unreviewed figures name nothing.
    assert "丙项目" not in draft.problems and "未审核" not in draft.problems


def test_open_problems_come_last_overdue_first() -> None:
    problems = [
        _problem("电力接入", 0, unit="工信局", deadline=dt.date(2026, 5, 20)),
        _problem("环评批复", 3, project="四号项目", unit="发改局"),
        _problem("征地未完成", 20, project="一号项目"),
    ]
    draft = narrative_draft([], problems)
    assert draft.problems == (
        "一是督办问题办理不及时。未办结督办问题 3 个，其中逾期 2 个：征地未完成（一号项目，东城街道，逾期 20 天）、"
        "环评批复（四号项目，发改局，逾期 3 天）、电力接入（工信局，2026-05-20 到期）。"
    )
    assert draft.next_steps == (
        "一是加快督办问题办理。请东城街道、发改局于下期调度前办结逾期问题（征地未完成、环评批复），其余问题按期办结。"
    )
    on_time = narrative_draft([], [_problem("电力接入", 0, unit="工信局", deadline=dt.date(2026, 5, 20))])
    assert on_time.problems.startswith("一是督办问题尚未办结。未办结督办问题 1 个，其中逾期 0 个")
    assert on_time.next_steps == "一是加快督办问题办理。请工信局在办结时限内办结督办问题。"


def test_a_quiet_month_drafts_a_sentence_each() -> None:
    green = _project("丙项目", "工信局", GREEN, (INVESTMENT, GREEN, "年度投资完成 40.0%，序时进度 33.3%，未落后"))
    draft = narrative_draft([green], [])
    assert draft.problems == "本期没有红灯、黄灯项目和未办结的督办问题。"
    assert draft.next_steps == "继续按计划推进各项目建设，确保完成年度目标任务。"


def test_long_lists_stop_at_the_limit() -> None:
    many = [
        _project(f"项目{i:02d}", "工信局", YELLOW,
                 (START, YELLOW, f"计划 2026-04-{i % 28 + 1:02d} 开工，逾期 1 天未开工"))
        for i in range(NAMES_SHOWN + 3)
    ]
    draft = narrative_draft(many, [])
    assert draft.problems.startswith(f"一是部分项目未按期开工。{NAMES_SHOWN + 3} 个项目")
    assert f"项目{NAMES_SHOWN - 1:02d}" in draft.problems and f"项目{NAMES_SHOWN:02d}" not in draft.problems
    assert draft.problems.endswith("等。")


def test_the_draft_of_a_month_reads_the_ledger_as_of_the_period(april: dict[str, Any],
                                                                 personas: dict[str, User]) -> None:
    """May 2026 of the ``april`` district, drafted on 2 December: as of 31 May."""
    period = services.period_open(year=2026, month=5, by=personas["office"])
    draft = draft_for(period, now=dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC))
    # By 31 May (schedule 41.7%): P2 has nothing of its 500, P6 never started, P4 is at 20.0%.
    assert "二号项目（年度投资完成 0.0%，序时进度 41.7%，落后 41.7 个百分点）" in draft.problems
    assert "六号项目（计划 2026-01-05 开工，已逾期 4 个月未开工）" in draft.problems
    assert "征地未完成（东城街道，逾期 51 天）" in draft.problems
    assert "施工用水" not in draft.problems  # closed
    assert "请工信局" in draft.next_steps


# --- saving ------------------------------------------------------------------------------------------

@pytest.fixture
def may(april: dict[str, Any], personas: dict[str, User]) -> Period:
    """May 2026, closed and not yet published."""
    period = services.period_open(year=2026, month=5, by=personas["office"])
    return services.period_close(period=period, by=personas["office"])


def test_the_first_save_creates_and_every_save_is_audited(may: Period, personas: dict[str, User]) -> None:
    office = personas["office"]
    saved = narrative_save(period=may, problems="一是投资滞后。\r\n二是开工慢。  ", next_steps="", version=0, by=office)
    assert (saved.version, saved.problems, saved.updated_by) == (1, "一是投资滞后。\n二是开工慢。", office)
    saved = narrative_save(period=may, problems=saved.problems, next_steps="一是加快投资。", version=1, by=office)
    assert saved.version == 2
    entries = AuditEntry.objects.filter(model__icontains="bulletinnarrative").order_by("at", "id")
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].changes == {"下步工作安排": ["", "一是加快投资。"]}
    assert entries[1].source == AuditEntry.Source.BULLETIN and entries[1].subject_id == str(may.pk)
    # The same text again changes nothing and leaves no trace.
    assert narrative_save(period=may, problems=saved.problems, next_steps=saved.next_steps, version=2,
                          by=office).version == 2
    assert entries.count() == 2


def test_a_save_from_an_older_page_is_refused(may: Period, personas: dict[str, User]) -> None:
    narrative_save(period=may, problems="第一稿", next_steps="", version=0, by=personas["office"])
    with pytest.raises(ConcurrentChange, match="刚被office修改，您的修改未保存"):
        narrative_save(period=may, problems="另一稿", next_steps="", version=0, by=personas["admin"])
    assert BulletinNarrative.objects.get(period=may).problems == "第一稿"


def test_publishing_freezes_the_words_and_later_changes_are_refused(may: Period, personas: dict[str, User]) -> None:
    office = personas["office"]
    narrative_save(period=may, problems="一是投资滞后。", next_steps="一是加快投资。", version=0, by=office)
    services.period_publish(period=may, by=office, reason="按时发布")
    assert bulletin_text(may) == BulletinText(problems="一是投资滞后。", next_steps="一是加快投资。")
    assert publication.verify(may)["dispatch.narrative"] == 1
    with pytest.raises(DispatchError, match="已发布，通报正文已随本期冻结，不能再修改"):
        narrative_save(period=may, problems="改了", next_steps="", version=1, by=office)
    # Even a change behind the service's back does not reach the bulletin: it prints the frozen text.
    BulletinNarrative.objects.filter(period=may).update(problems="后来改的")
    f = bulletin_figures(may)
    assert [(s.heading, s.paragraphs) for s in f.narrative] == [
        ("八、存在的主要问题", ("一是投资滞后。",)), ("九、下步工作安排", ("一是加快投资。",)),
    ]
    texts = [p.text for p in docx.Document(io.BytesIO(bulletin_docx(f, published_at=may.published_at))).paragraphs]
    assert "一是投资滞后。" in texts and "后来改的" not in texts


def test_a_period_published_without_words_has_none(may: Period, personas: dict[str, User]) -> None:
    BulletinNarrative.objects.create(period=may, problems="  ", next_steps="")  # saved empty
    services.period_publish(period=may, by=personas["office"], reason="按时发布")
    assert bulletin_text(may) is None
    assert not PublishedRecord.objects.filter(period=may, kind=BulletinText.KIND).exists()
    assert publication.verify(may)["dispatch.narrative"] == 0
    assert bulletin_figures(may).narrative == ()


def test_the_builder_writes_the_text_again_on_a_second_run(may: Period, personas: dict[str, User]) -> None:
    narrative_save(period=may, problems="甲", next_steps="", version=0, by=personas["office"])
    moment = dt.datetime(2026, 6, 3, 9, tzinfo=dt.UTC)
    assert narrative_take(period=may, as_of=may.last_day, now=moment) == 1
    BulletinNarrative.objects.filter(period=may).update(problems="乙")
    assert narrative_take(period=may, as_of=may.last_day, now=moment) == 1
    assert PublishedRecord.objects.filter(period=may, kind=BulletinText.KIND).count() == 1
    assert bulletin_text(may) == BulletinText(problems="乙", next_steps="")


def test_the_text_round_trips() -> None:
    text = BulletinText(problems="一是……\n二是……", next_steps="")
    assert BulletinText.from_data(text.to_data(), version=1) == text
    with pytest.raises(publication.SnapshotError):
        BulletinText.from_data({"problems": "x"}, version=1)


# --- the page ----------------------------------------------------------------------------------------

def test_only_the_office_opens_the_page(may: Period, personas: dict[str, User]) -> None:
    url = reverse("dispatch:bulletin_narrative", args=[may.pk])
    assert client_for(personas["office"]).get(url).status_code == 200
    for role in ("leader", "viewer", "reporter"):
        assert client_for(personas[role]).get(url).status_code == 403, role
        assert client_for(personas[role]).post(url, {"problems": "x", "version": "0"}).status_code == 403, role
    assert not BulletinNarrative.objects.exists()


def test_draft_fills_the_form_without_saving_and_save_saves(may: Period, personas: dict[str, User]) -> None:
    client = client_for(personas["office"])
    url = reverse("dispatch:bulletin_narrative", args=[may.pk])
    response = client.post(url, {"draft": "1", "version": "0", "problems": "", "next_steps": ""})
    html = response.content.decode()
    assert response.status_code == 200 and "一是投资进度滞后。" in html and "尚未保存" in html
    assert not BulletinNarrative.objects.exists()
    response = client.post(url, {"save": "1", "version": "0", "problems": "一是投资滞后。", "next_steps": "一是加快。"})
    assert response.status_code == 302
    assert BulletinNarrative.objects.get(period=may).version == 1
    # The page someone loaded before that save is refused, with the words, in the form.
    response = client.post(url, {"save": "1", "version": "0", "problems": "旧页面", "next_steps": ""})
    assert "刚被office修改，您的修改未保存" in response.content.decode()
    assert BulletinNarrative.objects.get(period=may).problems == "一是投资滞后。"


def test_a_published_period_shows_its_frozen_words_and_refuses_changes(may: Period,
                                                                     personas: dict[str, User]) -> None:
    office = personas["office"]
    narrative_save(period=may, problems="冻结的问题", next_steps="", version=0, by=office)
    services.period_publish(period=may, by=office, reason="按时发布")
    client = client_for(office)
    url = reverse("dispatch:bulletin_narrative", args=[may.pk])
    html = client.get(url).content.decode()
    assert "冻结的问题" in html and 'id="narrative-form"' not in html
    response = client.post(url, {"save": "1", "version": "1", "problems": "改了", "next_steps": ""})
    assert "已发布，通报正文已随本期冻结，不能再修改" in response.content.decode()
    response = client.post(url, {"draft": "1", "version": "1"}, follow=True)
    assert "已发布，通报正文已随本期冻结，不能再修改" in response.content.decode()
    assert BulletinNarrative.objects.get(period=may).problems == "冻结的问题"


def test_the_board_and_the_bulletin_page_link_the_office_to_the_words(may: Period,
                                                                      personas: dict[str, User]) -> None:
    url = reverse("dispatch:bulletin_narrative", args=[may.pk])
    for name in ("dispatch:period_board", "dispatch:bulletin"):
        page = reverse(name, args=[may.pk])
        assert url in client_for(personas["office"]).get(page).content.decode(), name
        assert url not in client_for(personas["leader"]).get(page).content.decode(), name


@given(problems=st.text(max_size=60), next_steps=st.text(max_size=60))
def test_any_text_round_trips_through_json(problems: str, next_steps: str) -> None:
    text = BulletinText(problems=problems, next_steps=next_steps)
    assert BulletinText.from_data(json.loads(json.dumps(text.to_data())), version=BulletinText.VERSION) == text
