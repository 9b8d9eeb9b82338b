"""The bulletin pages: web page, generation, progress fragment, downloads and the meeting view."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import client_for
from dispatch.bulletins import jobs
from dispatch.models import Bulletin
from dispatch.periods import services

# The shared fixture; "as april" marks the re-export, so the test arguments do not read as redefinitions.
from dispatch.tests.test_bulletin_figures import april as april
from org.models import Unit, User


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    # The Word and Excel files only: the PDF (LibreOffice, seconds a bulletin) has test_bulletin_pdf.py.
    settings.DIAODU_LIBREOFFICE = ""
    return tmp_path


def test_the_page_shows_every_section_with_explained_numbers(april: dict[str, Any], personas: dict[str, User],
                                                             django_assert_max_num_queries: Any) -> None:
    client = client_for(personas["leader"])
    url = reverse("dispatch:bulletin", args=[april["period"].pk])
    # 13: one of them the investment module's snapshot for its 招商引资 section.
    with django_assert_max_num_queries(13):
        response = client.get(url)
    html = response.content.decode()
    for heading in ("一、总体情况", "二、投资完成情况", "三、镇街和部门排名", "四、红黄灯项目", "五、新开工和竣工项目",
                    "六、问题督办情况", "七、报送情况"):
        assert heading in html
    assert 'title="开工率 = 已开工 3 个 ÷ 应开工 5 个 = 60.0%"' in html
    assert 'title="完成率 = 本年累计完成 1,000.00 万元 ÷ 年度计划 4,500.00 万元 = 22.2%"' in html
    assert 'title="开工率 = 已开工 1 个 ÷ 应开工 3 个 = 33.3%"' in html  # 工信局's rank row
    p6 = april["projects"]["P6"]
    assert reverse("projects:detail", args=[p6.pk]) in html
    assert "示调度〔2026〕4号" in html
    assert reverse("dispatch:bulletin_generate", args=[april["period"].pk]) not in html  # a leader only reads


def test_reporters_read_the_published_bulletin(april: dict[str, Any], personas: dict[str, User]) -> None:
    client = client_for(personas["other_reporter"])
    response = client.get(reverse("dispatch:bulletin", args=[april["period"].pk]))
    assert response.status_code == 200
    assert "六号项目" in response.content.decode()


def test_office_generates_and_everybody_downloads_the_same_bytes(
    april: dict[str, Any], personas: dict[str, User]
) -> None:
    period = april["period"]
    docx_url = reverse("dispatch:bulletin_docx", args=[period.pk])
    assert client_for(personas["viewer"]).get(docx_url).status_code == 404  # nothing generated yet
    assert client_for(personas["leader"]).post(reverse("dispatch:bulletin_generate", args=[period.pk])).status_code \
        == 403
    office = client_for(personas["office"])
    response = office.post(reverse("dispatch:bulletin_generate", args=[period.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("dispatch:bulletin", args=[period.pk])
    html = response.content.decode()
    assert "已生成" in html and "下载 Word 通报" in html and "重新生成" in html
    bulletin = Bulletin.objects.get(period=period)
    for role in ("reporter", "viewer", "leader"):
        client = client_for(personas[role])
        first = client.get(docx_url)
        second = client.get(docx_url)
        assert first.status_code == 200 and first.content == second.content
        assert first["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
        assert "filename*=utf-8''2026" in first["Content-Disposition"]
        assert first["X-Content-SHA256"] == bulletin.docx_sha256
    xlsx = client_for(personas["reporter"]).get(reverse("dispatch:bulletin_xlsx", args=[period.pk]))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    # A second "generate" without asking to regenerate changes nothing and says why.
    response = office.post(reverse("dispatch:bulletin_generate", args=[period.pk]), follow=True)
    assert "已生成，可直接下载" in response.content.decode()
    assert Bulletin.objects.get(period=period).docx.name == bulletin.docx.name


def test_a_damaged_file_is_refused(april: dict[str, Any], personas: dict[str, User]) -> None:
    period = april["period"]
    bulletin = jobs.bulletin_generate(period=period, by=personas["office"])
    Path(bulletin.xlsx.path).write_bytes(b"changed")
    response = client_for(personas["viewer"]).get(reverse("dispatch:bulletin_xlsx", args=[period.pk]))
    assert response.status_code == 409
    assert "文件校验失败" in response.content.decode()


def test_the_failure_is_shown(april: dict[str, Any], personas: dict[str, User],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(figures: Any, when: Any) -> bytes:
        raise RuntimeError("模板损坏")

    monkeypatch.setattr(jobs, "build_docx", broken)
    period = april["period"]
    response = client_for(personas["office"]).post(reverse("dispatch:bulletin_generate", args=[period.pk]),
                                                   follow=True)
    html = response.content.decode()
    assert "通报生成失败：模板损坏" in html
    assert reverse("dispatch:bulletin_docx", args=[period.pk]) not in html


def test_the_status_fragment_polls_while_running_and_stops_when_done(
    april: dict[str, Any], personas: dict[str, User]
) -> None:
    from django.utils import timezone

    period = april["period"]
    url = reverse("dispatch:bulletin_status", args=[period.pk])
    Bulletin.objects.create(period=period, state="running", progress=60, step="正在生成 Excel 附表",
                            started_at=timezone.now())
    html = client_for(personas["viewer"]).get(url).content.decode()
    assert 'hx-trigger="every 1s"' in html and 'value="60"' in html and "正在生成 Excel 附表" in html
    assert "<html" not in html
    Bulletin.objects.filter(period=period).delete()
    jobs.bulletin_generate(period=period, by=personas["office"])
    html = client_for(personas["viewer"]).get(url).content.decode()
    assert "hx-trigger" not in html and "下载 Word 通报" in html


def test_an_unpublished_period_says_so_and_refuses_to_generate(
    personas: dict[str, User], units: dict[str, Unit], make_project: Any
) -> None:
    make_project()
    period = services.period_open(year=2026, month=8, by=personas["office"])
    office = client_for(personas["office"])
    html = office.get(reverse("dispatch:bulletin", args=[period.pk])).content.decode()
    assert "尚未发布" in html and reverse("dispatch:bulletin_generate", args=[period.pk]) not in html
    response = office.post(reverse("dispatch:bulletin_generate", args=[period.pk]), follow=True)
    assert "尚未发布，发布后才能生成通报" in response.content.decode()
    assert not Bulletin.objects.exists()
    response = office.get(reverse("dispatch:meeting", args=[period.pk]))
    assert response.status_code == 302


def test_the_meeting_view(april: dict[str, Any], personas: dict[str, User]) -> None:
    response = client_for(personas["leader"]).get(reverse("dispatch:meeting", args=[april["period"].pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "topbar" not in html  # full screen, no navigation
    assert "js/meeting.js" in html and "css/meeting.css" in html
    kinds = [slide["kind"] for slide in response.context["slides"]]
    # Title, 6 section slides, one per red project (2), one per unit with open problems (3).
    assert kinds == ["title", "overview", "investment", "ranking", "ranking", "lights", "red", "red", "started",
                     "problems", "unit", "unit", "unit", "reporting"]
    assert html.count('class="slide ') == len(kinds)
    assert html.count(" hidden ") + html.count(" hidden>") == len(kinds) - 1
    units = [slide["unit"] for slide in response.context["slides"] if slide["kind"] == "unit"]
    assert units[0] == "东城街道"  # the unit with the longest-overdue problem first
    assert "施工许可：计划 2026-03-01，逾期 60 天" in html
    assert f"1 / {len(kinds)}" in html


def test_meeting_script_handles_the_keys() -> None:
    from django.conf import settings

    script = (Path(settings.BASE_DIR) / "static" / "js" / "meeting.js").read_text(encoding="utf-8")
    for key in ("ArrowRight", "ArrowLeft", "PageDown", "PageUp", "Home", "End", '"f"', "requestFullscreen"):
        assert key in script


@pytest.mark.parametrize("role", ["admin", "office", "leader", "viewer", "reporter", "other_reporter"])
def test_every_role_reads_a_published_bulletin_and_only_the_office_generates(
    april: dict[str, Any], personas: dict[str, User], role: str
) -> None:
    period = april["period"]
    jobs.bulletin_generate(period=period, by=personas["office"])
    client = client_for(personas[role])
    for name in ("bulletin", "bulletin_status", "bulletin_docx", "bulletin_xlsx", "meeting"):
        assert client.get(reverse(f"dispatch:{name}", args=[period.pk])).status_code == 200, name
    response = client.post(reverse("dispatch:bulletin_generate", args=[period.pk]), {"regenerate": "1"})
    assert response.status_code == (302 if role in ("admin", "office") else 403)


def test_anonymous_users_are_sent_to_log_in(april: dict[str, Any]) -> None:
    response = Client().get(reverse("dispatch:bulletin_docx", args=[april["period"].pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
