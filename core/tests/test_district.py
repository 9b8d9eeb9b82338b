"""The district's settings (core.district): defaults from the environment, the page, its audit, its
validation in words, who may change it, the half-month lock, and that the rules read the saved values."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from conftest import client_for
from core import district
from core.models import DistrictSettings, Period
from core.rules import DeadlineRule
from org.models import User

pytestmark = pytest.mark.django_db

URL = "/settings/district/"


def _form(**changes: Any) -> dict[str, Any]:
    """The page's fields as the environment fills them, with ``changes``; version 0 (no row yet)."""
    current = district.district()
    data: dict[str, Any] = {name: getattr(current, name) for name in district.EDITABLE}
    data["version"] = 0
    data.update(changes)
    if not data["report_half_month"]:
        del data["report_half_month"]  # an unticked box is not sent
    return data


def _open_period(year: int = 2026, month: int = 1) -> Period:
    return Period.objects.create(
        year=year, month=month, opens_on=dt.date(year, month, 1), deadline=dt.date(year, month, 25)
    )


# --- defaults -----------------------------------------------------------------------------------

def test_the_url_is_the_one_named() -> None:
    assert reverse("core:district_settings") == URL


def test_without_a_row_the_values_are_the_environment_settings() -> None:
    current = district.district()
    thresholds = settings.DIAODU_LIGHT_THRESHOLDS
    assert not current.saved
    assert current.district_name == settings.DIAODU_DISTRICT_NAME
    assert current.bulletin_prefix == (settings.DIAODU_BULLETIN_PREFIX or "")
    assert current.light_yellow_gap == Decimal(str(thresholds["yellow_gap"]))
    assert current.light_red_gap == Decimal(str(thresholds["red_gap"]))
    assert current.light_start_red_months == thresholds["start_red_months"]
    assert current.light_milestone_red_days == thresholds["milestone_red_days"]
    assert current.report_deadline == settings.DIAODU_REPORT_DEADLINE
    assert current.report_half_month == settings.DIAODU_REPORT_HALF_MONTH
    assert current.reminder_days_before == settings.DIAODU_REMINDER_DAYS_BEFORE
    assert current.problem_remind_days == settings.DIAODU_PROBLEM_REMIND_DAYS
    assert current.problem_red_days == settings.DIAODU_PROBLEM_RED_DAYS
    assert current.light_thresholds_mapping() == {
        "yellow_gap": Decimal(str(thresholds["yellow_gap"])), "red_gap": Decimal(str(thresholds["red_gap"])),
        "start_red_months": thresholds["start_red_months"], "milestone_red_days": thresholds["milestone_red_days"],
    }


def test_overridden_settings_are_followed_while_no_row_exists() -> None:
    with override_settings(DIAODU_PROBLEM_RED_DAYS=9, DIAODU_DISTRICT_NAME="寒亭区", DIAODU_BULLETIN_PREFIX=""):
        current = district.district()
        assert current.problem_red_days == 9
        assert current.document_prefix == "寒调度"
    assert district.district().problem_red_days == settings.DIAODU_PROBLEM_RED_DAYS


def test_the_environment_thresholds_are_those_projects_read_today() -> None:
    from projects import rules as light_rules

    assert light_rules.LightThresholds.from_mapping(district.light_thresholds_mapping()) == (
        light_rules.LightThresholds.from_mapping(settings.DIAODU_LIGHT_THRESHOLDS)
    )


# --- saving, audited ------------------------------------------------------------------------------

def test_the_first_save_is_audited_against_the_environment_values(personas: dict[str, User]) -> None:
    row = district.district_settings_update(
        values={"light_red_gap": Decimal("25"), "district_name": "寒亭区"}, version=0, by=personas["admin"]
    )
    assert row.pk == DistrictSettings.SINGLETON_PK and row.version == 1
    entry = AuditEntry.objects.get(model="core.districtsettings")
    assert entry.user == personas["admin"] and entry.action == AuditEntry.Action.UPDATE
    assert entry.source == AuditEntry.Source.FORM
    assert entry.changes == {
        "投资进度红灯阈值（百分点）": [str(settings.DIAODU_LIGHT_THRESHOLDS["red_gap"]), "25"],
        "区县名称": [settings.DIAODU_DISTRICT_NAME, "寒亭区"],
    }
    current = district.district()
    assert current.saved and current.light_red_gap == Decimal("25") and current.district_name == "寒亭区"


def test_the_page_saves_and_every_change_is_audited_with_old_and_new_values(personas: dict[str, User]) -> None:
    client = client_for(personas["admin"])
    response = client.post(URL, _form(light_yellow_gap="5", light_red_gap="20", problem_red_days="10"))
    assert response.status_code == 302, response.content.decode()
    response = client.post(URL, _form(light_yellow_gap="5", light_red_gap="22", problem_red_days="10", version=1))
    assert response.status_code == 302
    entries = list(AuditEntry.objects.filter(model="core.districtsettings").order_by("pk"))
    assert [e.changes for e in entries] == [
        {
            "投资进度黄灯阈值（百分点）": ["10", "5"],
            "投资进度红灯阈值（百分点）": ["30", "20"],
            "督办红牌阈值（天）": [str(settings.DIAODU_PROBLEM_RED_DAYS), "10"],
        },
        {"投资进度红灯阈值（百分点）": ["20", "22"]},
    ]
    assert all(e.user == personas["admin"] for e in entries)
    # The page shows the saved values and who saved them.
    page = client.get(URL).content.decode()
    assert 'value="22.00"' in page and "最近修改" in page


def test_a_save_without_a_change_leaves_no_record(personas: dict[str, User]) -> None:
    client = client_for(personas["admin"])
    assert client.post(URL, _form()).status_code == 302
    assert not AuditEntry.objects.filter(model="core.districtsettings").exists()


def test_a_save_from_a_page_older_than_the_last_change_is_refused(personas: dict[str, User]) -> None:
    district.district_settings_update(values={"problem_red_days": 20}, version=0, by=personas["admin"])
    with pytest.raises(district.DistrictSettingsError, match="刚被他人修改"):
        district.district_settings_update(values={"problem_red_days": 25}, version=0, by=personas["admin"])
    response = client_for(personas["admin"]).post(URL, _form(problem_red_days="25", version=0))
    assert response.status_code == 200
    assert "刚被他人修改" in response.content.decode()
    assert district.district().problem_red_days == 20


# --- validation, in words ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"light_yellow_gap": "30", "light_red_gap": "30"}, "红灯阈值（30）必须大于黄灯阈值（30）。"),
        ({"light_yellow_gap": "40", "light_red_gap": "30"}, "必须大于黄灯阈值"),
        ({"light_yellow_gap": "-1"}, "确保该值大于或等于0"),
        ({"light_start_red_months": "-2"}, "确保该值大于或等于0"),
        ({"report_deadline": "month:3"}, "截止规则应写成 day:25 或 workdays:5，实际为“month:3”"),
        ({"report_deadline": "day:40"}, "截止规则的数字超出范围：“day:40”"),
        ({"district_name": ""}, "这个字段是必填项。"),
        ({"problem_red_days": "0"}, "确保该值大于或等于1"),
    ],
)
def test_invalid_values_are_refused_in_chinese(
    personas: dict[str, User], changes: dict[str, str], words: str
) -> None:
    response = client_for(personas["admin"]).post(URL, _form(**changes))
    assert response.status_code == 200
    assert words in response.content.decode()
    assert not DistrictSettings.objects.exists()


def test_the_service_validates_too(personas: dict[str, User]) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        district.district_settings_update(
            values={"light_yellow_gap": Decimal(20), "light_red_gap": Decimal(10)}, version=0, by=personas["admin"]
        )
    assert "必须大于黄灯阈值" in str(refused.value)
    assert not DistrictSettings.objects.exists()


def test_the_deadline_parser_is_the_one_dispatch_uses() -> None:
    from dispatch import rules as dispatch_rules

    for text in ("day:25", "workdays:5", " day:1 ", "workdays:0"):
        assert DeadlineRule.parse(text).in_words() == dispatch_rules.DeadlineRule.parse(text).in_words()
    for text in ("day", "day:0", "workdays:31", "week:2", "day:x"):
        with pytest.raises(ValueError):
            DeadlineRule.parse(text)
        with pytest.raises(ValueError):
            dispatch_rules.DeadlineRule.parse(text)


# --- who may ----------------------------------------------------------------------------------------

def test_the_office_reads_but_may_not_change(personas: dict[str, User]) -> None:
    client = client_for(personas["office"])
    page = client.get(URL)
    assert page.status_code == 200
    text = page.content.decode()
    assert "只有系统管理员可以修改区县设置。" in text and "disabled" in text and "保存</button>" not in text
    assert client.post(URL, _form(problem_red_days="1")).status_code == 403
    assert not DistrictSettings.objects.exists()
    assert not AuditEntry.objects.filter(model="core.districtsettings").exists()


@pytest.mark.parametrize("role", ["leader", "viewer", "reporter"])
def test_other_roles_are_refused(personas: dict[str, User], role: str) -> None:
    client = client_for(personas[role])
    assert client.get(URL).status_code == 403
    assert client.post(URL, _form(problem_red_days="1")).status_code == 403
    assert not DistrictSettings.objects.exists()


def test_the_navigation_links_the_page_only_for_who_may_see_it(personas: dict[str, User]) -> None:
    for role, shown in (("admin", True), ("office", True), ("leader", False), ("viewer", False), ("reporter", False)):
        page = client_for(personas[role]).get(reverse("dispatch:problems")).content.decode()
        assert (f'href="{URL}"' in page) is shown, role


def test_the_help_text_says_each_threshold_in_the_words_of_the_lights(personas: dict[str, User]) -> None:
    page = client_for(personas["admin"]).get(URL).content.decode()
    assert "红灯：投资完成率落后序时进度超过 X 个百分点" in page
    assert "黄灯：投资完成率落后序时进度 X 个百分点至红灯阈值（含）" in page
    assert "逾期超过 X 天：红牌督办" in page


# --- half-month reporting ------------------------------------------------------------------------------

def test_half_month_reporting_may_be_switched_while_no_period_exists(personas: dict[str, User]) -> None:
    assert client_for(personas["admin"]).post(URL, _form(report_half_month="on")).status_code == 302
    assert district.district().report_half_month is True


def test_half_month_reporting_is_refused_once_a_period_exists(personas: dict[str, User]) -> None:
    _open_period()
    # The page shows the choice fixed, with the reason; a crafted POST cannot switch it.
    page = client_for(personas["admin"]).get(URL).content.decode()
    assert re.search(r'<input[^>]*name="report_half_month"[^>]*disabled', page)
    assert "已开设调度期，不能再更改是否按半月报送" in page
    with pytest.raises(district.DistrictSettingsError, match="已开设调度期"):
        district.district_settings_update(values={"report_half_month": True}, version=0, by=personas["admin"])
    # The rest of the settings may still change; the half-month choice posted with them is ignored.
    response = client_for(personas["admin"]).post(URL, _form(report_half_month="on", problem_red_days="12"))
    assert response.status_code == 302
    assert district.district().report_half_month is False and district.district().problem_red_days == 12


def test_a_quarter_of_another_module_does_not_lock_half_month_reporting(personas: dict[str, User]) -> None:
    Period.objects.create(kind=Period.Kind.QUARTER, year=2026, month=3, opens_on=dt.date(2026, 1, 1),
                          deadline=dt.date(2026, 4, 10))
    district.district_settings_update(values={"report_half_month": True}, version=0, by=personas["admin"])
    assert district.district().report_half_month is True


# --- the rules read the saved values -------------------------------------------------------------------

def test_a_changed_threshold_changes_a_projects_light(personas: dict[str, User]) -> None:
    from projects import rules as light_rules

    # 1 July: six months of twelve have passed (schedule 50 %); 35 of a 100 plan is 15 points behind.
    facts = light_rules.ProjectFacts(
        stage="building", planned_start=dt.date(2025, 3, 1), actual_start=dt.date(2025, 3, 1), milestones=[],
        annual_plan=Decimal(100), invested_ytd=Decimal(35),
    )

    def light() -> str:
        thresholds = light_rules.LightThresholds.from_mapping(district.light_thresholds_mapping())
        return light_rules.compute_light(facts, as_of=dt.date(2026, 7, 1), thresholds=thresholds).light

    assert light() == "yellow"  # 10 ≤ 15 ≤ 30
    district.district_settings_update(
        values={"light_yellow_gap": Decimal(5), "light_red_gap": Decimal(12)}, version=0, by=personas["admin"]
    )
    assert district.light_thresholds_mapping()["red_gap"] == Decimal(12)
    assert light() == "red"


def test_a_changed_deadline_rule_dates_the_next_period(personas: dict[str, User]) -> None:
    from dispatch.periods import services

    district.district_settings_update(values={"report_deadline": "day:20"}, version=0, by=personas["admin"])
    period = services.period_open(year=2026, month=3, by=personas["office"])
    assert period.deadline == dt.date(2026, 3, 20)
    assert services.deadline_rule().in_words() == "每月 20 日前报送（逢节假日提前到前一个工作日）"


# --- reading: once per request or scope, and every process sees a change ------------------------------

def test_outside_a_request_every_call_reads_the_row(personas: dict[str, User]) -> None:
    district.district_settings_update(values={"problem_red_days": 20}, version=0, by=personas["admin"])
    # Another process writes the row (an UPDATE sends no signal here): the next call sees it.
    DistrictSettings.objects.update(problem_red_days=21)
    assert district.district().problem_red_days == 21


def test_a_scope_reads_the_row_once_and_the_next_scope_sees_a_change(personas: dict[str, User]) -> None:
    district.district_settings_update(values={"problem_red_days": 20}, version=0, by=personas["admin"])
    with CaptureQueriesContext(connection) as queries, district.scope():
        for _ in range(5):
            assert district.district().problem_red_days == 20
        DistrictSettings.objects.update(problem_red_days=21)  # another process
        assert district.district().problem_red_days == 20  # one set of values for the whole scope
    reads = [q for q in queries.captured_queries if "core_districtsettings" in q["sql"] and "SELECT" in q["sql"]]
    assert len(reads) == 1
    with district.scope():
        assert district.district().problem_red_days == 21


def test_a_save_in_the_scope_is_seen_at_once(personas: dict[str, User]) -> None:
    with district.scope():
        assert district.district().problem_red_days == settings.DIAODU_PROBLEM_RED_DAYS
        district.district_settings_update(values={"problem_red_days": 30}, version=0, by=personas["admin"])
        assert district.district().problem_red_days == 30


def test_each_request_reads_the_row_once(personas: dict[str, User]) -> None:
    client = client_for(personas["admin"])
    client.post(URL, _form(problem_red_days="20"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    reads = [q for q in queries.captured_queries if "core_districtsettings" in q["sql"]]
    # The page reads the row for its form and once for district() (the request's copy).
    assert len(reads) == 2
    DistrictSettings.objects.update(problem_red_days=21)  # another process
    assert 'value="21"' in client.get(URL).content.decode()


def test_a_request_inside_a_scope_leaves_the_scope_working(personas: dict[str, User]) -> None:
    client = client_for(personas["admin"])
    with district.scope():
        assert client.get(URL).status_code == 200
        district.district()
        with CaptureQueriesContext(connection) as queries:
            district.district()
        assert not queries.captured_queries
    with CaptureQueriesContext(connection) as queries:
        district.district()
    assert len(queries.captured_queries) == 1


def test_a_hostile_district_name_is_shown_as_text_on_every_page(personas: dict[str, User]) -> None:
    """The name is printed in every page's header: it is escaped like any user text."""
    district.district_settings_update(
        values={"district_name": '<script>alert("x")</script>区'}, version=0, by=personas["admin"]
    )
    for user in ("admin", "office", "reporter"):
        page = client_for(personas[user]).get("/projects/").content.decode()
        assert '<script>alert("x")</script>' not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;区" in page
