"""The one delete helper, and audit sources shown by their label wherever history is displayed."""
from __future__ import annotations

import ast
import datetime as dt
import gettext
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from audit.models import AuditEntry
from audit.services import audit_delete, audit_snapshot
from conftest import client_for, district_time
from dispatch.periods import services as dispatch_services
from org.models import Holiday, Unit, User
from projects.models import AnnualPlan, Project

ROOT = Path(settings.BASE_DIR)
APPS = ["audit", "org", "core", "projects", "dispatch", "diaodu"]
MO = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES" / "django.mo"


# --- audit_delete ---------------------------------------------------------------------------------

class TestAuditDelete:
    def test_it_deletes_and_records_the_last_values_under_the_old_pk(
        self, personas: dict[str, User], make_project: Any
    ) -> None:
        project = make_project()
        plan = AnnualPlan.objects.create(project=project, year=2026, amount=Decimal("300.5"))
        pk = plan.pk
        entry = audit_delete(by=personas["office"], instance=plan, subject=project, source="excel")
        assert not AnnualPlan.objects.filter(pk=pk).exists()
        assert plan.pk == pk  # the caller's object still names the row it was
        assert entry == AuditEntry.objects.get()
        assert (entry.action, entry.model, entry.object_id, entry.subject_model, entry.subject_id, entry.source,
                entry.user) == ("delete", "projects.annualplan", str(pk), "projects.project", str(project.pk), "excel",
                                personas["office"])
        assert entry.changes == {
            "项目": [str(project), ""], "年度": ["2026", ""], "年度计划投资(万元)": ["300.50", ""]
        }

    def test_without_a_subject_the_object_is_its_own_subject_and_the_source_is_blank(
        self, personas: dict[str, User]
    ) -> None:
        holiday = Holiday.objects.create(date=dt.date(2027, 1, 1), name="元旦")
        pk = holiday.pk
        entry = audit_delete(by=None, instance=holiday)
        assert entry is not None
        assert (entry.user, entry.subject_model, entry.subject_id, entry.source) == (None, "org.holiday", str(pk), "")
        assert entry.changes["说明"] == ["元旦", ""]

    def test_excluded_fields_are_left_out(self, personas: dict[str, User]) -> None:
        user = personas["viewer"]
        entry = audit_delete(by=personas["admin"], instance=user, source="admin",
                             exclude=frozenset({"password", "last_login"}))
        assert entry is not None and not User.objects.filter(pk=user.pk).exists()
        assert "密码" not in entry.changes and entry.changes["角色"] == ["只读查看", ""]

    def test_it_writes_the_entry_an_explicit_snapshot_delete_and_record_writes(
        self, personas: dict[str, User], make_project: Any
    ) -> None:
        # The same row as the sequence it replaces, field for field.
        from audit.services import audit_record

        project = make_project()
        kept = AnnualPlan.objects.create(project=project, year=2025, amount=Decimal("10"))
        before, pk = audit_snapshot(kept), kept.pk
        kept.delete()
        kept.pk = pk
        old = audit_record(by=personas["office"], instance=kept, before=before, subject=project,
                           action=AuditEntry.Action.DELETE, source="form")
        plan = AnnualPlan.objects.create(project=project, year=2025, amount=Decimal("10"))
        new = audit_delete(by=personas["office"], instance=plan, subject=project, source="form")
        assert old is not None and new is not None
        fields = ["user", "action", "model", "object_repr", "subject_model", "subject_id", "changes", "source"]
        assert [getattr(new, f) for f in fields] == [getattr(old, f) for f in fields]


# --- the sources ----------------------------------------------------------------------------------

def _code_files() -> Iterator[Path]:
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            yield path


def source_literals() -> dict[str, list[str]]:
    """Every string the code gives as an audit source: ``source="…"`` arguments, defaults of ``source``
    parameters and ``SOURCE = "…"`` constants, each with where it was found."""
    found: dict[str, list[str]] = {}

    def add(node: ast.AST | None, where: str) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.setdefault(node.value, []).append(where)

    for path in _code_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.keyword) and node.arg == "source":
                add(node.value, where)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                args = node.args
                positional = [*args.posonlyargs, *args.args]
                for arg, default in zip(positional[len(positional) - len(args.defaults):], args.defaults, strict=True):
                    if arg.arg == "source":
                        add(default, where)
                for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
                    if arg.arg == "source":
                        add(kw_default, where)
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "SOURCE" for t in node.targets
            ):
                add(node.value, where)
    return found


def test_the_walk_finds_the_sources_it_should() -> None:
    # So the next test cannot pass by finding nothing.
    assert {"form", "excel", "grid", "demo", "correction", "bulletin", "admin"} <= set(source_literals())


def test_every_source_in_the_code_has_a_label() -> None:
    labels = dict(AuditEntry.Source.choices)
    # Blank is "no source named" (the field is blank=True) and shows nothing.
    assert AuditEntry._meta.get_field("source").blank
    missing = {value: where for value, where in source_literals().items() if value and value not in labels}
    assert not missing, f"add these to AuditEntry.Source: {missing}"


def test_labels_are_chinese_by_default() -> None:
    with translation.override("zh-hans"):
        assert [str(AuditEntry.Source(v).label) for v in ("form", "excel", "grid", "demo", "correction", "bulletin")
                ] == ["表单", "Excel", "网格", "示范数据", "更正", "通报"]


# --- where history is shown -----------------------------------------------------------------------

@pytest.fixture
def clock_at() -> dt.datetime:
    return district_time(2026, 10, 20, 10, 32)


@pytest.fixture
def grid_saved(personas: dict[str, User], units: dict[str, Unit], make_project: Any,
               clock: time_machine.Traveller) -> Project:
    """A project of the reporter's unit with October saved through the reporting grid."""
    project = make_project(code="2026-A-001", lead_unit=units["town_a"], town=units["town_a"])
    period = dispatch_services.period_open(year=2026, month=10, by=personas["office"])
    unit_report = period.unit_reports.get(unit=units["town_a"])
    data = {"invested": "300", "progress_percent": "45", "physical_progress": "主体施工", "problems": ""}
    response = client_for(personas["reporter"]).post(
        reverse("dispatch:report_row", args=[unit_report.pk, project.pk]),
        {f"p{project.pk}-{key}": value for key, value in data.items()}, HTTP_HX_REQUEST="true",
    )
    assert "已保存" in response.content.decode()
    assert AuditEntry.objects.filter(subject_id=str(project.pk), source="grid").exists()
    return project


def history_html(client: Client, project: Project) -> str:
    response = client.get(reverse("projects:detail", args=[project.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('id="history"'):]


def test_the_project_page_shows_a_grid_save_as_grid(personas: dict[str, User], grid_saved: Project) -> None:
    html = history_html(client_for(personas["office"]), grid_saved)
    assert '<span class="muted">网格</span>' in html
    assert '<span class="muted">grid</span>' not in html


def test_the_project_page_shows_the_english_label_in_english(
    personas: dict[str, User], grid_saved: Project
) -> None:
    if not MO.exists():
        from diaodu.tests.test_i18n import require_catalogue

        require_catalogue(MO)
    with MO.open("rb") as handle:
        assert gettext.GNUTranslations(handle).gettext("网格") == "Reporting grid", "run `make compilemessages`"
    client = client_for(personas["office"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        html = history_html(client, grid_saved)
    assert '<span class="muted">Reporting grid</span>' in html
    assert "网格" not in html


def test_the_audit_admin_shows_and_filters_by_the_label(personas: dict[str, User], grid_saved: Project) -> None:
    client = client_for(personas["admin"])
    html = client.get(reverse("admin:audit_auditentry_changelist")).content.decode()
    assert '<td class="field-source">网格</td>' in html
    filtered = client.get(reverse("admin:audit_auditentry_changelist"), {"source__exact": "grid"})
    assert filtered.status_code == 200
    assert filtered.context["cl"].result_count == AuditEntry.objects.filter(source="grid").count() > 0


class TestDemoDistrict:
    @pytest.fixture
    def clock_at(self) -> dt.datetime:
        return district_time(2026, 11, 23)

    def test_the_project_page_shows_a_demo_row_as_demo_data(
        self, demo_district: str, clock: time_machine.Traveller
    ) -> None:
        entry = AuditEntry.objects.filter(source="demo", subject_model="projects.project").first()
        assert entry is not None
        project = Project.objects.get(pk=entry.subject_id)
        office = User.objects.filter(role=User.Role.OFFICE).first()
        assert office is not None
        html = history_html(client_for(office), project)
        assert '<span class="muted">示范数据</span>' in html
        assert '<span class="muted">demo</span>' not in html
