"""The bulletin template (通报模板, dispatch.bulletins.template): the office shapes the bulletin without code.

A template changes the Word document (red header, 文号, sections and their numbering, 落款, 抄送, 印发机关),
the web page and the meeting; publishing freezes it with the period (Letterhead version 2), so a
published bulletin never changes with it; a letterhead of version 1 prints what it always printed.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
from typing import Any

import docx
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from audit.models import AuditEntry
from conftest import client_for
from core import district as district_settings
from core import publication
from core.models import Period, PublishedRecord
from dispatch.bulletins.docx import bulletin_docx
from dispatch.bulletins.figures import bulletin_figures
from dispatch.bulletins.narrative import narrative_save
from dispatch.bulletins.template import bulletin_template_update
from dispatch.models import BulletinSection, BulletinTemplate
from dispatch.periods import services
from dispatch.periods.services import ConcurrentChange
from dispatch.periods.snapshots import Letterhead, letterhead

# The shared fixture; "as april" marks the re-export, so the test arguments do not read as redefinitions.
from dispatch.tests.test_bulletin_figures import april as april
from dispatch.tests.test_snapshots import BEFORE
from org.models import User

PAGE = "/dispatch/bulletin-template/"
SAMPLE = "/dispatch/bulletin-template/sample/"
ALL = list(BulletinSection.values)
USUAL = ["一、总体情况", "二、投资完成情况", "三、镇街和部门排名", "四、红黄灯项目", "五、新开工和竣工项目",
         "六、问题督办情况", "七、报送情况"]
OFFICE = "示范区重点项目建设指挥部办公室"  # the settings' district name is 示范区
SHAPED_HEADINGS = ["一、报送情况", "二、总体情况", "三、下步工作安排", "四、红黄灯项目", "五、问题督办情况"]
SHAPED = {
    "issuing_body": "示范区人民政府办公室",
    "header_text": "重点项目建设调度通报",
    "document_prefix": "示重项办",
    "sections": ["reporting", "overview", "narrative_next_steps", "lights", "supervision"],
    "signature": "示范区重点项目建设工作领导小组",
    "copy_to": "区委办公室、区政府办公室。",
    "issued_by": "示范区重点项目建设指挥部办公室综合科",
}


def _read(data: bytes) -> dict[str, Any]:
    """What a reader of the Word document sees: the paragraphs, the level-1 headings, the 版记's two lines."""
    document = docx.Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    copy_row, issue_row = (row.cells[0].text for row in document.tables[-1].rows)
    return {
        "texts": texts, "red": texts[0], "number": texts[2],
        "headings": [t for t in texts if re.match(r"^[一二三四五六七八九十]、", t)],
        "copy": copy_row, "issue": issue_row, "author": document.core_properties.author,
    }


def _docx(period: Period) -> bytes:
    period.refresh_from_db()
    return bulletin_docx(bulletin_figures(period), published_at=period.published_at)


@pytest.fixture
def may(april: dict[str, Any], personas: dict[str, User]) -> Period:
    """May 2026, closed and not yet published, with the office's words (both sections)."""
    period = services.period_close(period=services.period_open(year=2026, month=5, by=personas["office"]),
                                   by=personas["office"])
    narrative_save(period=period, problems="一是投资滞后。", next_steps="一是加快投资。", version=0,
                   by=personas["office"])
    return period


def _publish(period: Period, office: User) -> Period:
    return services.period_publish(period=period, by=office, reason="按时发布")


# --- the Word document --------------------------------------------------------------------------

def test_without_a_template_the_bulletin_prints_what_it_always_did(may: Period, personas: dict[str, User]) -> None:
    read = _read(_docx(_publish(may, personas["office"])))
    assert read["red"] == OFFICE and read["number"] == "示调度〔2026〕5号"
    assert read["headings"] == [*USUAL, "八、存在的主要问题", "九、下步工作安排"]
    assert OFFICE in read["texts"][-6:]  # the 落款, above the date
    assert read["copy"] == "抄送：区委、区人大、区政府、区政协领导。"
    assert read["issue"].startswith(f"{OFFICE}\t") and read["issue"].endswith("印发")
    assert read["author"] == OFFICE


def test_a_changed_template_changes_the_bulletin(may: Period, personas: dict[str, User]) -> None:
    bulletin_template_update(values=SHAPED, version=0, by=personas["office"])
    read = _read(_docx(_publish(may, personas["office"])))
    assert read["red"] == "重点项目建设调度通报"
    assert read["number"] == "示重项办〔2026〕5号"
    assert read["headings"] == SHAPED_HEADINGS
    # The sections' own sub-headings do not change.
    assert "（一）未办结问题（逾期在前）" in read["texts"]
    signature = read["texts"].index("示范区重点项目建设工作领导小组")
    assert read["texts"][signature + 1].startswith("2026年") and OFFICE not in read["texts"]
    assert read["copy"] == "抄送：区委办公室、区政府办公室。"
    assert read["issue"].startswith("示范区重点项目建设指挥部办公室综合科\t")
    assert read["author"] == "示范区人民政府办公室"
    # The sections left out are not printed at all.
    assert not {"投资完成情况", "镇街和部门排名", "新开工和竣工项目", "存在的主要问题"} & {
        t.partition("、")[2] for t in read["headings"]
    }
    assert "一是投资滞后。" not in read["texts"] and "一是加快投资。" in read["texts"]


def test_blank_texts_follow_the_issuing_body(may: Period, personas: dict[str, User]) -> None:
    bulletin_template_update(values={"issuing_body": "示范区人民政府办公室"}, version=0, by=personas["office"])
    read = _read(_docx(_publish(may, personas["office"])))
    assert read["red"] == "示范区人民政府办公室" and read["number"] == "示调度〔2026〕5号"
    assert "示范区人民政府办公室" in read["texts"][-6:]
    assert read["issue"].startswith("示范区人民政府办公室\t")
    assert read["copy"] == "抄送：区委、区人大、区政府、区政协领导。"


def test_a_section_turned_off_disappears_and_the_next_are_renumbered(may: Period, personas: dict[str, User]) -> None:
    sections = [key for key in ALL if key not in {"investment", "narrative_problems"}]
    bulletin_template_update(values={"sections": sections}, version=0, by=personas["office"])
    read = _read(_docx(_publish(may, personas["office"])))
    assert read["headings"] == ["一、总体情况", "二、镇街和部门排名", "三、红黄灯项目", "四、新开工和竣工项目",
                                "五、问题督办情况", "六、报送情况", "七、下步工作安排"]


def test_an_office_section_without_words_is_skipped_and_the_next_numbered_on(
    may: Period, personas: dict[str, User]
) -> None:
    narrative_save(period=may, problems="", next_steps="一是加快投资。", version=1, by=personas["office"])
    order = ["narrative_problems", "overview", "narrative_next_steps", "reporting"]
    bulletin_template_update(values={"sections": order}, version=0, by=personas["office"])
    f = bulletin_figures(_publish(may, personas["office"]))
    assert [s.heading for s in f.sections] == ["一、总体情况", "二、下步工作安排", "三、报送情况"]
    assert [(s.key, s.heading) for s in f.narrative] == [("next_steps", "二、下步工作安排")]


# --- frozen with the period ---------------------------------------------------------------------

def test_a_published_period_keeps_its_template(may: Period, personas: dict[str, User]) -> None:
    office = personas["office"]
    bulletin_template_update(values=SHAPED, version=0, by=office)
    period = _publish(may, office)
    record = PublishedRecord.objects.get(period=period, kind=Letterhead.KIND)
    assert record.schema_version == 2 and record.data["header_text"] == "重点项目建设调度通报"
    assert publication.verify(period)["dispatch.letterhead"] == 1
    first = _docx(period)
    # Another template and another district name later: the period's bulletin does not change by a byte.
    bulletin_template_update(values={
        "issuing_body": "", "header_text": "另一个红头", "document_prefix": "", "sections": ["overview"],
        "signature": "", "copy_to": "", "issued_by": "",
    }, version=1, by=office)
    district_settings.district_settings_update(values={"district_name": "新区"}, version=0, by=personas["admin"])
    assert _docx(period) == first
    assert _read(first)["red"] == "重点项目建设调度通报"
    # A period published now takes the new one.
    june = services.period_close(period=services.period_open(year=2026, month=6, by=office), by=office)
    read = _read(_docx(_publish(june, office)))
    assert read["red"] == "另一个红头" and read["headings"] == ["一、总体情况"]
    assert read["number"] == "新调度〔2026〕6号" and read["author"] == "新区重点项目建设指挥部办公室"


def test_a_version_1_letterhead_prints_what_it_printed(april: dict[str, Any], personas: dict[str, User]) -> None:
    """Rows written before the template (version 1: names only) read with blank texts and every section, whatever
    the template says now: the April and March bulletins keep the bytes they were published with."""
    bulletin_template_update(values=SHAPED, version=0, by=personas["office"])
    for name in ("period", "march"):
        period = april[name]
        PublishedRecord.objects.filter(period=period, kind=Letterhead.KIND).update(
            data={"district_name": "示范区", "document_prefix": "示调度"}, schema_version=1,
        )
        assert letterhead(period) == Letterhead(district_name="示范区", document_prefix="示调度")
        data = _docx(period)
        assert hashlib.sha256(data).hexdigest() == BEFORE[name][0]
        assert _read(data)["headings"] == USUAL


def test_the_letterhead_round_trips_and_refuses_unknown_sections() -> None:
    head = Letterhead(district_name="示范区", document_prefix="示重项办", issuing_body="甲", header_text="乙",
                      sections=("reporting", "overview"), signature="丙", copy_to="丁。", issued_by="戊")
    stored = json.loads(json.dumps(head.to_data()))
    assert Letterhead.from_data(stored, version=2) == head
    with pytest.raises(publication.SnapshotError, match="未知的章节"):
        Letterhead.from_data({**stored, "sections": ["overview", "appendix"]}, version=2)
    with pytest.raises(publication.SnapshotError, match="章节重复"):
        Letterhead.from_data({**stored, "sections": ["overview", "overview"]}, version=2)


@given(
    texts=st.lists(st.text(max_size=12), min_size=7, max_size=7),
    sections=st.permutations(ALL).flatmap(lambda keys: st.integers(1, len(keys)).map(lambda n: tuple(keys[:n]))),
)
def test_every_letterhead_of_version_2_round_trips(texts: list[str], sections: tuple[str, ...]) -> None:
    head = Letterhead(*texts[:2], issuing_body=texts[2], header_text=texts[3], sections=sections,
                      signature=texts[4], copy_to=texts[5], issued_by=texts[6])
    assert Letterhead.from_data(json.loads(json.dumps(head.to_data())), version=2) == head


# --- saving ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("sections", "message"), [
    ([], "至少要印一节。"),
    (["overview", "lights", "overview"], "章节重复：总体情况。"),
    (["overview", "appendix"], "未知的章节：appendix。"),
    ("overview", "章节须为章节代码的列表。"),
])
def test_the_sections_are_checked(sections: Any, message: str, personas: dict[str, User]) -> None:
    with pytest.raises(ValidationError) as raised:
        BulletinTemplate(sections=sections).full_clean()
    assert raised.value.message_dict == {"sections": [message]}
    with pytest.raises(ValidationError):
        bulletin_template_update(values={"sections": sections}, version=0, by=personas["office"])
    assert not BulletinTemplate.objects.exists() and not AuditEntry.objects.filter(model="dispatch.bulletintemplate")


def test_every_save_is_audited_and_an_older_page_is_refused(personas: dict[str, User]) -> None:
    office = personas["office"]
    row = bulletin_template_update(values={"header_text": "调度通报", "sections": ["reporting", "overview"]},
                                   version=0, by=office)
    assert (row.version, row.updated_by, row.sections) == (1, office, ["reporting", "overview"])
    entry = AuditEntry.objects.get(model="dispatch.bulletintemplate")
    assert (entry.user, entry.action, entry.source, entry.object_id) == (office, "update", "form", "1")
    assert entry.changes == {
        "红头文字": ["", "调度通报"],
        "通报章节": ["总体情况、投资完成情况、镇街和部门排名、红黄灯项目、新开工和竣工项目、问题督办情况、报送情况、"
                 "招商引资、存在的主要问题、下步工作安排", "报送情况、总体情况"],
    }
    # The same values again leave no trace; a page showing version 0 is refused.
    bulletin_template_update(values={"header_text": "调度通报"}, version=1, by=office)
    assert AuditEntry.objects.filter(model="dispatch.bulletintemplate").count() == 1
    with pytest.raises(ConcurrentChange, match="通报模板刚被office修改，您的修改未保存"):
        bulletin_template_update(values={"header_text": "别的"}, version=0, by=personas["admin"])
    assert BulletinTemplate.objects.get().header_text == "调度通报"


# --- the page -------------------------------------------------------------------------------------

def _form(version: int = 0, order: list[str] | None = None, **texts: str) -> dict[str, str]:
    """The page's form: the texts, every section numbered as listed, those in ``order`` ticked."""
    order = ALL if order is None else order
    data = {"version": str(version), **{name: "" for name in
                                        ("issuing_body", "header_text", "document_prefix", "signature", "copy_to",
                                         "issued_by")}, **texts}
    rest = [key for key in ALL if key not in order]
    for number, key in enumerate([*order, *rest], start=1):
        data[f"order_{key}"] = str(number)
        if key in order:
            data[f"show_{key}"] = "on"
    return data


@pytest.mark.parametrize(("role", "status"), [
    ("office", 200), ("admin", 200), ("leader", 403), ("viewer", 403), ("reporter", 403),
])
def test_only_the_office_and_the_administrators_open_the_page(role: str, status: int,
                                                               personas: dict[str, User]) -> None:
    client = client_for(personas[role])
    assert client.get(PAGE).status_code == status
    assert client.post(PAGE, _form(header_text="调度通报")).status_code == (302 if status == 200 else 403)
    assert client.get(SAMPLE).status_code == (302 if status == 200 else 403)  # no published period: back
    assert BulletinTemplate.objects.exists() == (status == 200)


def test_anonymous_is_sent_to_log_in() -> None:
    for url in (PAGE, SAMPLE):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_page_saves_the_sections_in_the_numbers_order(personas: dict[str, User]) -> None:
    client = client_for(personas["office"])
    html = client.get(PAGE).content.decode()
    assert 'placeholder="示范区重点项目建设指挥部办公室"' in html
    assert 'placeholder="区委、区人大、区政府、区政协领导。"' in html and 'placeholder="示调度"' in html
    # Every section ticked until the office saves the template, 招商引资 (another module's) included.
    assert "八、招商引资" in html and "九、存在的主要问题" in html
    data = _form(order=["lights", "overview"], header_text="调度通报")
    # Numbers as typed: equal numbers keep the order shown; a section not ticked is not printed.
    data.update({"order_overview": "2", "order_lights": "2", "order_reporting": "1"})
    response = client.post(PAGE, data, follow=True)
    assert "通报模板已保存" in response.content.decode()
    row = BulletinTemplate.objects.get()
    assert (row.sections, row.header_text, row.version) == (["overview", "lights"], "调度通报", 1)
    # The page shows the saved order first, then the rest, and the headings it prints.
    html = response.content.decode()
    assert html.index('id="section-overview"') < html.index('id="section-lights"') < html.index(
        'id="section-investment"')
    assert "一、总体情况" in html and "二、红黄灯项目" in html and "三、" not in html.split('id="template-headings"')[1]


def test_nothing_ticked_is_refused_with_a_reason(personas: dict[str, User]) -> None:
    response = client_for(personas["office"]).post(PAGE, _form(order=[]))
    assert response.status_code == 200 and "至少要印一节。" in response.content.decode()
    assert not BulletinTemplate.objects.exists()


def test_a_save_from_an_older_page_is_refused_on_the_page(personas: dict[str, User]) -> None:
    bulletin_template_update(values={"header_text": "甲"}, version=0, by=personas["admin"])
    response = client_for(personas["office"]).post(PAGE, _form(version=0, header_text="乙"))
    assert response.status_code == 200 and "通报模板刚被admin修改" in response.content.decode()
    assert BulletinTemplate.objects.get().header_text == "甲"


def test_up_and_down_move_a_row_without_saving(personas: dict[str, User]) -> None:
    client = client_for(personas["office"])
    response = client.post(PAGE, {**_form(header_text="未保存的红头"), "move": "up:reporting"})
    html = response.content.decode()
    assert response.status_code == 200 and "章节顺序已调整，尚未保存" in html
    assert html.index('id="section-reporting"') < html.index('id="section-supervision"')
    assert 'value="未保存的红头"' in html  # what was typed stays on the page
    assert "六、报送情况" in html and "七、问题督办情况" in html
    assert not BulletinTemplate.objects.exists()
    response = client.post(PAGE, {**_form(), "move": "down:overview"})
    html = response.content.decode()
    assert html.index('id="section-investment"') < html.index('id="section-overview"')
    assert 'name="order_investment" value="1"' in html and 'name="order_overview" value="2"' in html


def test_the_sample_shows_the_unsaved_template_and_saves_nothing(april: dict[str, Any],
                                                                  personas: dict[str, User]) -> None:
    client = client_for(personas["office"])
    assert 'id="sample"' in client.get(PAGE).content.decode()
    response = client.post(SAMPLE, _form(order=["lights", "overview"], header_text="样张红头",
                                         document_prefix="示重项办"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    read = _read(response.content)
    # April, the latest published period, with the template on the page.
    assert read["red"] == "样张红头" and read["number"] == "示重项办〔2026〕4号"
    assert read["headings"] == ["一、红黄灯项目", "二、总体情况"]
    assert not BulletinTemplate.objects.exists()
    # The April bulletin itself is untouched.
    assert _read(_docx(april["period"]))["headings"] == USUAL
    # GET: the saved template.
    bulletin_template_update(values={"header_text": "已保存的红头"}, version=0, by=personas["office"])
    assert _read(client.get(SAMPLE).content)["red"] == "已保存的红头"
    # An invalid form shows its errors instead.
    response = client.post(SAMPLE, _form(order=[]))
    assert response.status_code == 200 and "至少要印一节。" in response.content.decode()
    assert client_for(personas["leader"]).post(SAMPLE, _form()).status_code == 403


# --- the web page and the meeting -----------------------------------------------------------------

def test_the_web_page_and_the_meeting_follow_the_frozen_template(may: Period, personas: dict[str, User]) -> None:
    bulletin_template_update(values=SHAPED, version=0, by=personas["office"])
    period = _publish(may, personas["office"])
    html = client_for(personas["leader"]).get(reverse("dispatch:bulletin", args=[period.pk])).content.decode()
    headings = re.findall(r"<h2>([一二三四五六七八九十]、[^<]+)</h2>", html)
    assert headings == SHAPED_HEADINGS
    assert '<div class="office">重点项目建设调度通报</div>' in html and "示重项办〔2026〕5号" in html
    assert "示范区重点项目建设工作领导小组<br>" in html
    assert 'id="template-link"' not in html  # a leader does not shape the bulletin
    office_html = client_for(personas["office"]).get(reverse("dispatch:bulletin", args=[period.pk])).content.decode()
    assert f'id="template-link" href="{PAGE}"' in office_html
    meeting = client_for(personas["leader"]).get(reverse("dispatch:meeting", args=[period.pk])).content.decode()
    assert re.findall(r"<h2>([一二三四五六七八九十]、[^<]+)</h2>", meeting) == headings
    # Rankings off: no ranking slides; on, each ranking is numbered as its section.
    sections = ["overview", "rankings", "reporting"]
    bulletin_template_update(values={"sections": sections}, version=1, by=personas["office"])
    june = services.period_close(period=services.period_open(year=2026, month=6, by=personas["office"]),
                                 by=personas["office"])
    june = _publish(june, personas["office"])
    meeting = client_for(personas["leader"]).get(reverse("dispatch:meeting", args=[june.pk])).content.decode()
    assert re.findall(r"<h2>([一二三四五六七八九十]、[^<]+)</h2>", meeting) == [
        "一、总体情况", "二、镇街排名", "二、部门排名", "三、报送情况",
    ]
