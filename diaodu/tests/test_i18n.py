"""The English translation: complete and well-formed in the .po, and actually used by the pages.

Chinese (zh-hans) is the default and every other test asserts Chinese text; these tests check that
switching to English leaves no Chinese UI string behind, while data (names of units, projects, people)
stays as entered.
"""
from __future__ import annotations

import datetime as dt
import gettext
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from core.models import Period
from dispatch.models import ExtensionRequest, Problem, UnitReport
from org.models import Unit, User
from projects.models import FundingSource, Milestone, ProgressReport, Project, ProjectCategory
from projects.rules import DEFAULT_THRESHOLDS, RULE_NO_PLAN, MilestoneFact, ProjectFacts, compute_light, rules_in_words

LOCALE = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"
PO = LOCALE / "django.po"
MO = LOCALE / "django.mo"

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff01-\uff5e]+")
# %(name)s, %(size).1f, %(value)r, %%: the conversion specifiers Python's %-formatting accepts.
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<type>[diouxXeEfFgGcrsa%])"
)
TAG = re.compile(r"</?[a-zA-Z][^>]*>")


# --- the catalogue ------------------------------------------------------------------------------

@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)


def _unquote(text: str) -> str:
    body = text.strip()
    assert body.startswith('"') and body.endswith('"'), body
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes[m.group(1)], body[1:-1])


def parse_po(text: str) -> list[Entry]:
    """The entries of a .po file (header included, obsolete ``#~`` entries left out)."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None  # the keyword continuation lines append to

    def start(line_no: int) -> Entry:
        nonlocal current
        if current is None or current.msgstr:
            current = Entry(line=line_no)
            entries.append(current)
        return current

    for line_no, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#~"):
            continue
        if line.startswith("#,"):
            start(line_no).flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            start(line_no)
            continue
        if line.startswith('"'):
            assert current is not None and target is not None, f"line {line_no}: continuation without a keyword"
            keyword, index = target
            value = _unquote(line)
            if keyword == "msgstr":
                current.msgstr[index] += value
            else:
                setattr(current, keyword, (getattr(current, keyword) or "") + value)
            continue
        keyword, _space, rest = line.partition(" ")
        entry = start(line_no) if keyword in ("msgctxt", "msgid") else current
        assert entry is not None, f"line {line_no}: {keyword} before msgid"
        match = re.fullmatch(r"msgstr(?:\[(\d+)\])?", keyword)
        if match:
            index = int(match.group(1) or 0)
            entry.msgstr[index] = _unquote(rest)
            target = ("msgstr", index)
        elif keyword in ("msgctxt", "msgid", "msgid_plural"):
            setattr(entry, keyword, _unquote(rest))
            target = (keyword, 0)
        else:
            raise AssertionError(f"line {line_no}: unexpected {line!r}")
    return entries


def placeholders(text: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for match in PLACEHOLDER.finditer(text):
        if match.group("type") != "%":
            found[match.group(0)] += 1
    return found


@pytest.fixture(scope="module")
def catalogue() -> list[Entry]:
    assert PO.exists(), f"{PO} is missing: run `make messages` and translate"
    return parse_po(PO.read_text(encoding="utf-8"))


def test_parser_reads_every_kind_of_entry() -> None:
    entries = parse_po(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        '#, fuzzy, python-format\nmsgid "共 %(n)d 个"\nmsgstr ""\n"%(n)d "\n"in all"\n\n'
        'msgctxt "month"\nmsgid "一"\nmsgid_plural "多"\nmsgstr[0] "one"\nmsgstr[1] ""\n\n'
        '#~ msgid "旧"\n#~ msgstr "old"\n'
    )
    assert [e.msgid for e in entries] == ["", "共 %(n)d 个", "一"]
    assert entries[0].msgstr == {0: "Language: en\n"}
    assert entries[1].flags == {"fuzzy", "python-format"} and entries[1].msgstr == {0: "%(n)d in all"}
    assert entries[2].msgctxt == "month" and entries[2].msgid_plural == "多"
    assert entries[2].msgstr == {0: "one", 1: ""}
    assert placeholders("%(size).1f MB, %(n)d 个, 100%%, %(v)r") == Counter({"%(size).1f": 1, "%(n)d": 1, "%(v)r": 1})


def test_header_declares_english_and_utf8(catalogue: list[Entry]) -> None:
    header = catalogue[0]
    assert header.msgid == ""
    assert "Language: en\n" in header.msgstr[0]
    assert "charset=UTF-8" in header.msgstr[0]


def test_every_entry_is_translated_and_none_is_fuzzy(catalogue: list[Entry]) -> None:
    assert len(catalogue) > 300  # the parser found the catalogue, not an empty file
    fuzzy = [(e.line, e.msgid) for e in catalogue if "fuzzy" in e.flags]
    assert not fuzzy, f"fuzzy entries (check the guess, then remove the flag): {fuzzy}"
    empty = [(e.line, e.msgid) for e in catalogue[1:] if not e.msgstr or not all(e.msgstr.values())]
    assert not empty, f"untranslated entries in {PO.name}: {empty}"
    plural_forms = {e.line: len(e.msgstr) for e in catalogue if e.msgid_plural is not None}
    assert all(count == 2 for count in plural_forms.values()), f"English has two plural forms: {plural_forms}"


def test_placeholders_and_markup_survive_translation(catalogue: list[Entry]) -> None:
    problems = []
    for entry in catalogue[1:]:
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        wanted = placeholders(entry.msgid)
        for text in entry.msgstr.values():
            if "python-format" in entry.flags:
                # Every placeholder must be there, and none added (an unknown name raises KeyError).
                if set(placeholders(text)) != set(wanted):
                    problems.append((entry.line, entry.msgid, dict(wanted), dict(placeholders(text))))
            elif placeholders(text) and not any(placeholders(s) for s in sources):
                problems.append((entry.line, entry.msgid, "placeholder in a string that is not formatted", text))
            if sorted(TAG.findall(entry.msgid)) != sorted(TAG.findall(text)):
                problems.append((entry.line, entry.msgid, "HTML tags differ", text))
    assert not problems, problems


# --- the pages ----------------------------------------------------------------------------------

def require_catalogue(mo: Path) -> None:
    """Nothing if ``mo`` exists; otherwise skip, or fail where DIAODU_REQUIRE_CATALOGUES=1.

    CI sets the variable (.ci/run), so a runner without the compiled catalogue fails loudly instead of
    going green with the English pages untested, as DIAODU_REQUIRE_BROWSER does for Chromium.
    """
    if mo.exists():
        return
    message = f"{mo} is missing: run `make setup` (compilemessages needs GNU gettext's msgfmt)"
    if os.environ.get("DIAODU_REQUIRE_CATALOGUES") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def compiled(catalogue: list[Entry]) -> None:
    require_catalogue(MO)
    # Compare contents, not modification times: makemessages rewrites an unchanged .po.
    with MO.open("rb") as handle:
        mo = gettext.GNUTranslations(handle)
    stale = []
    for entry in catalogue[1:]:
        if entry.msgid_plural is None:
            found = mo.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt else mo.gettext(entry.msgid)
        else:
            found = mo.ngettext(entry.msgid, entry.msgid_plural, 1)
        if found != entry.msgstr[0]:
            stale.append(entry.msgid)
    assert not stale, f"{MO.name} is out of date with {PO.name}: run `make setup`. Differs: {stale[:5]}"


@pytest.fixture
def project(personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> Project:
    project = make_project(name="新能源电池项目", responsible_leader=personas["leader"], light="yellow")
    project.plans.create(year=dt.date.today().year, amount=Decimal("2000"))
    Milestone.objects.create(project=project, order=1, name="施工许可", planned_date=dt.date(2026, 2, 1))
    ProgressReport.objects.create(
        project=project, year=dt.date.today().year, month=1, invested=Decimal("150"), progress_percent=10,
        physical_progress="场地平整", problems="资金紧张",
    )
    return project


def data_strings(personas: dict[str, User], units: dict[str, Unit], project: Project) -> list[str]:
    """Chinese text that is data, not UI: it stays as entered whatever the language."""
    names = [u.name for u in units.values()] + [u.short_name for u in units.values() if u.short_name]
    names += [str(user) for user in personas.values()] + [p.full_name for p in personas.values() if p.full_name]
    names += [project.name, "施工许可", "场地平整", "资金紧张", settings.DIAODU_DISTRICT_NAME]
    names += [name for _code, name in settings.LANGUAGES]  # each language's own name, in the switcher
    names += [unit.category for unit in units.values()]
    # The categories and funding sources the administrator keeps (seeded in Chinese) are data too.
    names += list(ProjectCategory.objects.values_list("name", flat=True))
    names += list(FundingSource.objects.values_list("name", flat=True))
    return sorted({n for n in names if n}, key=len, reverse=True)


def chinese_left(html: str, data: list[str]) -> list[str]:
    text = re.sub(r"<script\b[^>]*src=[^>]*></script>", "", html)
    for name in data:
        text = text.replace(name, "")
    return sorted(set(CJK.findall(text)))


def english_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    # What the language switcher sets; LocaleMiddleware chooses the language per request from it.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.usefixtures("compiled")
class TestEnglishPages:
    def test_ledger_is_in_english(self, personas: dict[str, User], units: dict[str, Unit], project: Project) -> None:
        with translation.override("en"):
            response = english_client(personas["leader"]).get(reverse("projects:ledger"))
        html = response.content.decode()
        assert response.status_code == 200
        assert '<html lang="en">' in html
        for words in ("Key project ledger", "Traffic light", "Lead unit", "Town/street", "Responsible leader",
                      "Total investment (10k yuan)", "Export Excel", "Mine", "Yellow", "Under construction"):
            assert words in html, words
        assert project.name in html  # data is not translated
        for chinese in ("重点项目库", "红黄绿灯", "牵头单位", "属地镇街", "包靠领导", "导出 Excel", "在建", "合计"):
            assert chinese not in html, chinese
        assert chinese_left(html, data_strings(personas, units, project)) == []

    def test_project_page_is_in_english(
        self, personas: dict[str, User], units: dict[str, Unit], project: Project
    ) -> None:
        with translation.override("en"):
            response = english_client(personas["office"]).get(reverse("projects:detail", args=[project.pk]))
        html = response.content.decode()
        assert response.status_code == 200
        for words in ("Light rules", "time-elapsed schedule", "Milestones (reverse scheduling)", "Month 1",
                      "Milestone 施工许可 overdue by", "Change history", 'data-unit="10k yuan"'):
            assert words in html, words
        assert chinese_left(html, data_strings(personas, units, project)) == []

    def test_the_language_switcher_turns_english_on_and_off(self, personas: dict[str, User], project: Project) -> None:
        client = Client()
        client.force_login(personas["viewer"])
        ledger = reverse("projects:ledger")
        with translation.override(None):
            response = client.post(reverse("set_language"), {"language": "en", "next": ledger}, follow=True)
            assert "Key project ledger" in response.content.decode()
            response = client.post(reverse("set_language"), {"language": "zh-hans", "next": ledger}, follow=True)
            assert "重点项目库" in response.content.decode()


def test_default_language_is_chinese(personas: dict[str, User], project: Project) -> None:
    client = Client()
    client.force_login(personas["leader"])
    html = client.get(reverse("projects:ledger")).content.decode()
    assert '<html lang="zh-hans">' in html
    for chinese in ("重点项目库", "红黄绿灯", "牵头单位", "属地镇街", "包靠领导", "导出 Excel", "在建"):
        assert chinese in html, chinese
    for words in ("Key project ledger", "Traffic light", "Lead unit", "Export Excel"):
        assert words not in html, words


# --- the rules in words -------------------------------------------------------------------------

@pytest.mark.usefixtures("compiled")
def test_light_rules_and_reasons_come_out_in_english() -> None:
    facts = ProjectFacts(
        stage="building", planned_start=None, actual_start=None,
        milestones=[MilestoneFact("施工许可", dt.date(2026, 3, 1), None)], annual_plan=None, invested_ytd=Decimal(0),
    )
    as_of = dt.date(2026, 3, 11)
    with translation.override("en"):
        words = rules_in_words(DEFAULT_THRESHOLDS)
        reasons = {reason.rule: reason.text for reason in compute_light(facts, as_of=as_of).reasons}
    assert len(words) == 7
    assert all(not CJK.search(sentence) for sentence in words), words
    assert words[0].startswith("Time-elapsed schedule = whole months passed this year ÷ 12")
    assert "Less than 10 points behind the time-elapsed schedule is green" in words[1]
    assert "10 to 30 points behind (inclusive) is yellow" in words[1]
    assert "still not started 3 full months after" in words[2]
    assert "1 to 30 days overdue" in words[3]
    assert "planned completion date has passed" in words[4]
    assert "not yet reviewed by the project office" in words[6] and "Includes unreviewed data" in words[6]
    assert reasons[RULE_NO_PLAN] == "No annual plan investment, so investment progress is not assessed"
    assert "Milestone 施工许可 overdue by 10 days" in reasons.values()

    with translation.override("zh-hans"):
        chinese = {reason.rule: reason.text for reason in compute_light(facts, as_of=as_of).reasons}
    assert chinese[RULE_NO_PLAN] == "未安排年度计划投资，不考核投资进度"


# --- the dispatch pages -------------------------------------------------------------------------

@dataclass
class Dispatch:
    """Periods in each state and problems at each supervision level, with the Chinese data they hold."""

    periods: list[Period]
    problems: list[Problem]
    data: list[str]


@pytest.fixture
def dispatch(personas: dict[str, User], units: dict[str, Unit], project: Project) -> Dispatch:
    today = timezone.localdate()
    published = Period.objects.create(
        year=2026, month=1, opens_on=dt.date(2026, 1, 1), deadline=dt.date(2026, 2, 5),
        state=Period.State.PUBLISHED, published_at=timezone.now(), published_by=personas["office"],
    )
    closed = Period.objects.create(
        year=2026, month=2, opens_on=dt.date(2026, 2, 1), deadline=dt.date(2026, 3, 5), state=Period.State.CLOSED,
    )
    half = Period.objects.create(year=2026, month=3, half=1, opens_on=dt.date(2026, 3, 1), deadline=today)
    for unit, state in zip(units.values(), UnitReport.State.values, strict=True):
        UnitReport.objects.create(
            period=half, unit=unit, state=state,
            return_reason="投资数据有误" if state == UnitReport.State.RETURNED else "",
        )
    descriptions = ["土地手续未办结", "施工用电未接入", "资金拨付滞后", "环评批复延迟"]
    problems = [
        Problem.objects.create(
            description=description, responsible_unit=units["gxj"], responsible_leader=personas["leader"],
            deadline=today + dt.timedelta(days=days), project=project if days < 0 else None,
            source=Problem.Source.REPORT if days < 0 else Problem.Source.DIRECT, created_by=personas["office"],
        )
        # none, blue reminder, yellow warning, red slip with the default thresholds (3 and 15 days)
        for description, days in zip(descriptions, (30, 1, -5, -40), strict=True)
    ]
    problems[1].state = Problem.State.HANDLING
    problems[1].save(update_fields=["state"])
    ExtensionRequest.objects.create(
        problem=problems[2], new_deadline=today + dt.timedelta(days=20), reason="等待审批",
        requested_by=personas["office"],
    )
    data = data_strings(personas, units, project) + descriptions + ["投资数据有误", "等待审批"]
    return Dispatch([published, closed, half], problems, sorted(set(data), key=len, reverse=True))


@pytest.mark.usefixtures("compiled")
class TestEnglishDispatchPages:
    def get(self, user: User, url: str) -> str:
        with translation.override("en"):
            response = english_client(user).get(url)
        assert response.status_code == 200
        return response.content.decode()

    def test_periods_list(self, personas: dict[str, User], dispatch: Dispatch) -> None:
        html = self.get(personas["office"], reverse("dispatch:periods"))
        for words in ("Monthly dispatch", "Reporting period", "Open a reporting period", "Deadline rule: Submit by",
                      "2026-1", "2026-3 (1st half)", "Published", "Closed", "Draft", "Submitted", "Returned",
                      "Correction request"):
            assert words in html, words
        for chinese in ("月度调度", "调度期", "已发布", "已截止", "填报中", "上半月"):
            assert chinese not in html, chinese
        assert chinese_left(html, dispatch.data) == []

    def test_period_board(self, personas: dict[str, User], dispatch: Dispatch) -> None:
        board = reverse("dispatch:period_board", args=[dispatch.periods[2].pk])
        html = self.get(personas["office"], board + "?checks=1")
        for words in ("Draft", "Submitted", "Approved", "Returned", "Rows with notes"):
            assert words in html, words
        assert "投资数据有误" in html  # a return reason is data
        assert chinese_left(html, dispatch.data) == []

    def test_problems_list(self, personas: dict[str, User], dispatch: Dispatch) -> None:
        html = self.get(personas["leader"], reverse("dispatch:problems"))
        for words in ("Problem supervision", "Responsible unit", "Deadline", "Supervision level", "Escalation rules",
                      "Red slip", "Warning", "Reminder", "Extension pending", "In hand", "Assigned", "Mine",
                      "days overdue", "4 in all"):
            assert words in html, words
        assert all(problem.description in html for problem in dispatch.problems)
        for chinese in ("问题督办", "责任单位", "红牌", "预警", "办理中", "已交办", "延期待批"):
            assert chinese not in html, chinese
        assert chinese_left(html, dispatch.data) == []

    def test_problem_page(self, personas: dict[str, User], dispatch: Dispatch) -> None:
        html = self.get(personas["office"], reverse("dispatch:problem_detail", args=[dispatch.problems[2].pk]))
        for words in ("Details", "Escalation rules", "Extension request", "Pending", "Download supervision slip"):
            assert words in html, words
        assert chinese_left(html, dispatch.data) == []


# --- without the compiled catalogue: skip with a message, or fail in CI -------------------------

def test_a_missing_catalogue_skips_with_how_to_compile_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DIAODU_REQUIRE_CATALOGUES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="make setup"):
        require_catalogue(tmp_path / "django.mo")


def test_a_missing_catalogue_fails_where_catalogues_are_required(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # CI sets the variable, so a runner without msgfmt fails instead of going green with these tests skipped.
    monkeypatch.setenv("DIAODU_REQUIRE_CATALOGUES", "1")
    missing = tmp_path / "django.mo"
    with pytest.raises(pytest.fail.Exception, match="make setup") as failure:
        require_catalogue(missing)
    assert str(missing) in str(failure.value)


def test_a_present_catalogue_neither_skips_nor_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DIAODU_REQUIRE_CATALOGUES", "1")
    present = tmp_path / "django.mo"
    present.write_bytes(b"")
    require_catalogue(present)
