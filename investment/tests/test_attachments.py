"""A lead's files (意向书, 协议): kept with the lead, as secret as the lead, always a download, only the kinds a
招商 office exchanges, within the upload limit, every change audited."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import reverse

from audit.models import AuditEntry
from conftest import client_for
from investment.models import Attachment, Lead, Stage
from investment.tests.conftest import MakeLead
from org.models import Unit, User

pytestmark = [pytest.mark.django_db]

PDF = b"%PDF-1.4\n% intention letter\n"


def upload(client: Client, lead: Lead, name: str = "意向书.pdf", data: bytes = PDF, note: str = "") -> HttpResponse:
    url = reverse("investment:attachment_add", args=[lead.pk])
    return client.post(url, {"file": SimpleUploadedFile(name, data), "note": note})


def page(client: Client, lead: Lead) -> str:
    response = client.get(reverse("investment:lead_detail", args=[lead.pk]))
    assert response.status_code == 200
    return str(response.content.decode())


def test_the_unit_keeps_a_file_and_whoever_sees_the_lead_downloads_it(
    personas: dict[str, User], make_lead: MakeLead
) -> None:
    lead = make_lead("潍坊意向机械有限公司")
    reporter = client_for(personas["reporter"])
    response = upload(reporter, lead, note="首轮意向")
    assert response.status_code == 302
    attachment = Attachment.objects.get(lead=lead)
    assert (attachment.name, attachment.size, attachment.content_type) == ("意向书.pdf", len(PDF), "application/pdf")
    assert "意向书.pdf" in page(reporter, lead) and "首轮意向" in page(reporter, lead)
    for who in ("reporter", "office", "leader"):
        response = client_for(personas[who]).get(
            reverse("investment:attachment_download", args=[lead.pk, attachment.pk]))
        assert response.status_code == 200
        assert response.content == PDF
        # Always a download, never shown in the page's origin.
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"]
    entry = AuditEntry.objects.get(model="investment.attachment", action=AuditEntry.Action.CREATE)
    assert entry.subject_id == str(lead.pk) and entry.user == personas["reporter"]


def test_another_units_file_is_not_found_and_a_viewer_sees_none(
    personas: dict[str, User], make_lead: MakeLead
) -> None:
    lead = make_lead("潍坊保密科技有限公司")
    upload(client_for(personas["reporter"]), lead)
    attachment = Attachment.objects.get()
    download = reverse("investment:attachment_download", args=[lead.pk, attachment.pk])
    delete = reverse("investment:attachment_delete", args=[lead.pk, attachment.pk])
    for who in ("other_reporter", "viewer"):
        client = client_for(personas[who])
        assert client.get(download).status_code == 404
        assert client.post(delete).status_code == 404
        assert upload(client, lead).status_code == 404
    # A file of another lead under this lead's address is not found either.
    other = make_lead("潍坊别家材料有限公司", by="other_reporter")
    assert client_for(personas["office"]).get(
        reverse("investment:attachment_download", args=[other.pk, attachment.pk])).status_code == 404
    assert Attachment.objects.count() == 1


@pytest.mark.parametrize(("name", "data", "words"), [
    ("page.html", b"<script>alert(1)</script>", "只能上传"),
    ("image.svg", b"<svg onload=alert(1)>", "只能上传"),
    ("fake.pdf", b"<html><script>alert(1)</script>", "文件内容与扩展名 .pdf 不符"),
    ("empty.pdf", b"", "是空的"),
    ("macro.docm", b"PK\x03\x04", "只能上传"),
])
def test_what_is_not_taken_says_why_and_keeps_nothing(
    personas: dict[str, User], make_lead: MakeLead, name: str, data: bytes, words: str
) -> None:
    lead = make_lead("潍坊拒收文件有限公司")
    client = client_for(personas["reporter"])
    response = client.post(reverse("investment:attachment_add", args=[lead.pk]),
                           {"file": SimpleUploadedFile(name, data)}, follow=True)
    assert words in response.content.decode()
    assert not Attachment.objects.exists()
    assert not AuditEntry.objects.filter(model="investment.attachment").exists()


@override_settings(DIAODU_MAX_UPLOAD_BYTES=1024)
def test_a_file_over_the_limit_is_refused(personas: dict[str, User], make_lead: MakeLead) -> None:
    lead = make_lead("潍坊大文件有限公司")
    response = client_for(personas["reporter"]).post(
        reverse("investment:attachment_add", args=[lead.pk]),
        {"file": SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * 2048)}, follow=True)
    assert "超过上限" in response.content.decode()
    assert not Attachment.objects.exists()


def test_a_name_with_folders_or_script_is_kept_harmless(personas: dict[str, User], make_lead: MakeLead) -> None:
    lead = make_lead("潍坊文件名有限公司")
    client = client_for(personas["reporter"])
    upload(client, lead, name="../../etc/<script>alert(1)</script>.pdf", note="<img src=x onerror=alert(1)>")
    attachment = Attachment.objects.get()
    assert "/" not in attachment.name and ".." not in attachment.name
    html = page(client, lead)
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html


def test_the_uploader_or_the_office_removes_a_file_and_the_removal_is_recorded(
    personas: dict[str, User], units: dict[str, Unit], make_lead: MakeLead
) -> None:
    from conftest import make_user

    lead = make_lead("潍坊删除测试有限公司")
    upload(client_for(personas["reporter"]), lead, name="a.pdf")
    upload(client_for(personas["office"]), lead, name="b.pdf")
    mine, office_file = Attachment.objects.get(name="a.pdf"), Attachment.objects.get(name="b.pdf")
    colleague = make_user("colleague", User.Role.REPORTER, units["town_a"])
    # A colleague of the same unit sees both but removes neither; the leader reads only.
    for who in (colleague, personas["leader"]):
        for f in (mine, office_file):
            assert client_for(who).post(
                reverse("investment:attachment_delete", args=[lead.pk, f.pk])).status_code == 403
    assert client_for(personas["reporter"]).post(
        reverse("investment:attachment_delete", args=[lead.pk, office_file.pk])).status_code == 403
    assert client_for(personas["reporter"]).post(
        reverse("investment:attachment_delete", args=[lead.pk, mine.pk])).status_code == 302
    assert client_for(personas["office"]).post(
        reverse("investment:attachment_delete", args=[lead.pk, office_file.pk])).status_code == 302
    assert not Attachment.objects.exists()
    deleted = AuditEntry.objects.filter(model="investment.attachment", action=AuditEntry.Action.DELETE)
    assert {entry.object_repr for entry in deleted} == {"a.pdf", "b.pdf"}


def test_a_closed_lead_takes_no_more_files(personas: dict[str, User], make_lead: MakeLead) -> None:
    lead = make_lead("潍坊已终止有限公司")
    Lead.objects.filter(pk=lead.pk).update(stage=Stage.DROPPED)
    assert upload(client_for(personas["reporter"]), lead).status_code == 403
    assert "上传附件" not in page(client_for(personas["reporter"]), lead)
