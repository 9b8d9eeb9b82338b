"""The audit trail: what a snapshot holds, what a record writes, and the admin pages that edit data."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from audit.services import audit_record, audit_snapshot, history_for
from org.models import Holiday, Unit, User
from projects.models import AnnualPlan, Milestone, Project


class TestSnapshot:
    def test_it_holds_display_text(self, personas: dict[str, User], make_project: Any) -> None:
        project = make_project(
            name="东城污水厂", level="province", responsible_leader=personas["leader"], is_special_bond=True,
            total_investment=Decimal("10000.00"), invested_before=Decimal("12.5"), latitude=None,
        )
        snapshot = audit_snapshot(project)
        assert snapshot["name"] == ("项目名称", "东城污水厂")
        assert snapshot["level"] == ("项目级别", "省重点")  # a choice: its label, not "province"
        assert snapshot["lead_unit"] == ("牵头单位", "工信局")  # a foreign key: the related object's name
        assert snapshot["responsible_leader"] == ("包靠区领导", "张区长")
        assert snapshot["town"] == ("属地镇街", "东城街道")
        assert snapshot["is_special_bond"] == ("专项债项目", "是")
        assert snapshot["construction"] == ("建设性质", "新开工")
        assert snapshot["planned_start"] == ("计划开工日期", "2026-03-01")
        assert snapshot["latitude"] == ("纬度", "")
        assert snapshot["planned_completion"] == ("计划竣工日期", "")

    def test_decimals_read_the_same_however_they_were_written(self, make_project: Any) -> None:
        cases = [
            (Decimal("10000.00"), "10000"), (Decimal("10000"), "10000"), (Decimal("1E+4"), "10000"),
            (Decimal("12.5"), "12.50"), (Decimal("12.50"), "12.50"), (Decimal("0.00"), "0"), (Decimal("0"), "0"),
            (Decimal("0.1"), "0.10"), (Decimal("1234567.89"), "1234567.89"),
        ]
        project = make_project()
        for value, text in cases:
            project.total_investment = value
            assert audit_snapshot(project)["total_investment"][1] == text, value
        project.latitude = Decimal("36.7")  # six places on this field
        assert audit_snapshot(project)["latitude"][1] == "36.700000"

    def test_it_leaves_out_keys_derived_fields_and_exclusions(self, personas: dict[str, User]) -> None:
        snapshot = audit_snapshot(personas["reporter"], exclude=frozenset({"password", "last_login"}))
        assert "id" not in snapshot and "password" not in snapshot and "last_login" not in snapshot
        assert snapshot["role"] == ("角色", "单位填报员")
        assert snapshot["unit"] == ("所在单位", "东城街道")
        project_fields = audit_snapshot(Project(code="x", lead_unit=Unit(name="u")))
        assert not {"initials", "light", "light_reasons", "light_as_of", "created_at", "updated_at"} & set(
            project_fields
        )

    def test_a_moment_reads_the_same_in_any_zone_and_precision(self, personas: dict[str, User]) -> None:
        user = personas["viewer"]
        user.date_joined = dt.datetime(2026, 5, 1, 0, 30, 15, 671119, tzinfo=dt.UTC)
        from_database = audit_snapshot(user)["date_joined"]
        user.date_joined = dt.datetime(2026, 5, 1, 8, 30, 15, tzinfo=ZoneInfo("Asia/Shanghai"))
        assert audit_snapshot(user)["date_joined"] == from_database == ("加入日期", "2026-05-01 08:30:15")

    def test_none_is_empty(self) -> None:
        assert audit_snapshot(None) == {}


class TestRecord:
    def test_a_create_has_empty_old_values(self, personas: dict[str, User]) -> None:
        unit = Unit.objects.create(name="商务局", kind=Unit.Kind.DEPARTMENT)
        entry = audit_record(by=personas["office"], instance=unit, before={}, source="test")
        assert entry is not None
        assert (entry.action, entry.user, entry.model, entry.object_id, entry.object_repr) == (
            "create", personas["office"], "org.unit", str(unit.pk), "商务局"
        )
        assert (entry.subject_model, entry.subject_id) == ("org.unit", str(unit.pk))
        assert entry.changes["名称"] == ["", "商务局"]
        assert entry.changes["类型"] == ["", "部门"]
        assert entry.changes["启用"] == ["", "是"]
        assert "人口" not in entry.changes  # empty before and after: no change

    def test_an_update_has_only_the_changed_fields(self, personas: dict[str, User], units: dict[str, Unit]) -> None:
        unit = units["town_a"]
        before = audit_snapshot(unit)
        unit.population = 81000
        unit.kind = Unit.Kind.DISTRICT
        unit.save()
        entry = audit_record(by=personas["admin"], instance=unit, before=before)
        assert entry is not None and entry.action == "update"
        assert entry.changes == {"人口": ["80000", "81000"], "类型": ["镇街", "区"]}

    def test_nothing_changed_writes_nothing(self, personas: dict[str, User], units: dict[str, Unit]) -> None:
        before = audit_snapshot(units["fgj"])
        assert audit_record(by=personas["admin"], instance=units["fgj"], before=before) is None
        assert not AuditEntry.objects.exists()

    def test_a_delete_keeps_the_last_values(self, personas: dict[str, User], make_project: Any) -> None:
        project = make_project()
        plan = AnnualPlan.objects.create(project=project, year=2026, amount=Decimal("300.5"))
        before, pk = audit_snapshot(plan), plan.pk
        plan.delete()
        plan.pk = pk
        entry = audit_record(by=personas["office"], instance=plan, before=before, subject=project,
                             action=AuditEntry.Action.DELETE)
        assert entry is not None
        assert (entry.action, entry.object_id, entry.subject_model, entry.subject_id) == (
            "delete", str(pk), "projects.project", str(project.pk)
        )
        assert entry.changes == {
            "项目": [str(project), ""], "年度": ["2026", ""], "年度计划投资(万元)": ["300.50", ""]
        }

    def test_an_anonymous_or_system_change_has_no_user(self, units: dict[str, Unit]) -> None:
        for by in (None, AnonymousUser()):
            entry = audit_record(by=by, instance=units["fgj"], before={"name": ("名称", "旧名")})
            assert entry is not None and entry.user is None


class TestHistory:
    def test_it_lists_the_project_and_its_parts_newest_first(
        self, personas: dict[str, User], make_project: Any
    ) -> None:
        project, other = make_project(), make_project()
        tz = ZoneInfo("Asia/Shanghai")
        with time_machine.travel(dt.datetime(2026, 5, 1, 9, tzinfo=tz), tick=False) as clock:
            first = audit_record(by=personas["office"], instance=project, before={})
            clock.move_to(dt.datetime(2026, 5, 3, 9, tzinfo=tz))
            milestone = Milestone.objects.create(project=project, name="立项")
            second = audit_record(by=personas["reporter"], instance=milestone, before={}, subject=project)
            audit_record(by=personas["office"], instance=other, before={})
            clock.move_to(dt.datetime(2026, 5, 2, 9, tzinfo=tz))
            middle = audit_record(by=personas["office"], instance=project, before={"name": ("项目名称", "旧")})
            # Two entries in the same instant come out in the order they were written, newest first.
            clock.move_to(dt.datetime(2026, 5, 4, 9, tzinfo=tz))
            tie_a = audit_record(by=personas["office"], instance=project, before={"name": ("项目名称", "甲")})
            tie_b = audit_record(by=personas["office"], instance=project, before={"name": ("项目名称", "乙")})
        assert list(history_for(project)) == [tie_b, tie_a, second, middle, first]
        assert [e.subject_id for e in history_for(other)] == [str(other.pk)]
        assert history_for(milestone).count() == 0  # a milestone's entries belong to its project


# --- the Django admin -----------------------------------------------------------------------

@pytest.fixture
def superuser_client(personas: dict[str, User]) -> Client:
    client = Client()
    client.force_login(personas["admin"])
    return client


class TestAuditedAdmin:
    def test_a_unit_change_is_recorded(self, superuser_client: Client, units: dict[str, Unit],
                                       personas: dict[str, User]) -> None:
        unit = units["town_b"]
        url = reverse("admin:org_unit_change", args=[unit.pk])
        data = {"name": "西山镇", "short_name": "西山", "kind": "town", "category": "工业强镇", "population": "40000",
                "order": "0", "is_active": "on", "_save": "1"}
        response = superuser_client.post(url, data)
        assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
        entry = AuditEntry.objects.get()
        assert (entry.action, entry.source, entry.user, entry.model) == ("update", "admin", personas["admin"],
                                                                         "org.unit")
        assert entry.changes == {"简称": ["", "西山"], "考核类别": ["农业镇", "工业强镇"]}
        # Saving the page again without changes leaves no trace.
        superuser_client.post(url, data)
        assert AuditEntry.objects.count() == 1

    def test_a_user_change_is_recorded_as_display_text_without_the_password(
        self, superuser_client: Client, personas: dict[str, User], units: dict[str, Unit]
    ) -> None:
        user = personas["reporter"]
        user.last_login = dt.datetime(2026, 5, 1, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
        user.save()
        url = reverse("admin:org_user_change", args=[user.pk])
        joined = user.date_joined.astimezone(ZoneInfo("Asia/Shanghai"))
        data = {
            "username": "reporter", "first_name": "", "last_name": "", "email": "", "is_active": "on",
            "last_login_0": "2026-05-01", "last_login_1": "08:00:00",
            "date_joined_0": joined.strftime("%Y-%m-%d"), "date_joined_1": joined.strftime("%H:%M:%S"),
            "full_name": "王填报", "role": "viewer", "unit": str(units["town_b"].pk), "title": "", "phone": "",
            "password": "bogus-should-be-ignored", "_save": "1",
        }
        response = superuser_client.post(url, data)
        assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
        user.refresh_from_db()
        assert (user.role, user.unit_id, user.full_name) == ("viewer", units["town_b"].pk, "王填报")
        entry = AuditEntry.objects.get()
        assert entry.source == "admin" and entry.object_repr == "王填报"
        assert entry.changes == {
            "姓名": ["", "王填报"], "角色": ["单位填报员", "只读查看"], "所在单位": ["东城街道", "西山镇"]
        }
        assert user.check_password("test-password-123")

    def test_a_holiday_added_and_deleted_is_recorded(self, superuser_client: Client) -> None:
        response = superuser_client.post(
            reverse("admin:org_holiday_add"), {"date": "2027-01-01", "name": "元旦", "_save": "1"}
        )
        assert response.status_code == 302
        holiday = Holiday.objects.get()
        created = AuditEntry.objects.get()
        assert created.action == "create"
        assert created.changes == {"日期": ["", "2027-01-01"], "是否上班": ["", "否"], "说明": ["", "元旦"]}
        response = superuser_client.post(reverse("admin:org_holiday_delete", args=[holiday.pk]), {"post": "yes"})
        assert response.status_code == 302
        deleted = AuditEntry.objects.get(action="delete")
        assert (deleted.object_id, deleted.source) == (str(holiday.pk), "admin")
        assert deleted.changes["说明"] == ["元旦", ""]

    def test_a_bulk_delete_records_each_row(self, superuser_client: Client) -> None:
        days = [Holiday.objects.create(date=dt.date(2027, 2, d), name=f"春节{d}") for d in (10, 11)]
        response = superuser_client.post(
            reverse("admin:org_holiday_changelist"),
            {"action": "delete_selected", "_selected_action": [str(h.pk) for h in days], "post": "yes"},
        )
        assert response.status_code == 302
        assert not Holiday.objects.exists()
        assert sorted(AuditEntry.objects.filter(action="delete").values_list("object_id", flat=True)) == sorted(
            str(h.pk) for h in days
        )


class TestAuditEntryAdmin:
    def test_it_is_read_only(self, superuser_client: Client, personas: dict[str, User], units: dict[str, Unit]) -> None:
        entry = audit_record(by=personas["office"], instance=units["fgj"], before={"name": ("名称", "旧名")})
        assert entry is not None
        assert superuser_client.get(reverse("admin:audit_auditentry_changelist")).status_code == 200
        view = superuser_client.get(reverse("admin:audit_auditentry_change", args=[entry.pk]))
        assert view.status_code == 200
        assert 'name="_save"' not in view.content.decode()
        assert superuser_client.get(reverse("admin:audit_auditentry_add")).status_code == 403
        changed = superuser_client.post(reverse("admin:audit_auditentry_change", args=[entry.pk]),
                                        {"action": "delete", "object_repr": "篡改", "_save": "1"})
        assert changed.status_code == 403
        assert superuser_client.post(reverse("admin:audit_auditentry_delete", args=[entry.pk]),
                                     {"post": "yes"}).status_code == 403
        # The bulk delete action is not offered, and posting it anyway deletes nothing.
        changelist = superuser_client.get(reverse("admin:audit_auditentry_changelist")).content.decode()
        assert "delete_selected" not in changelist
        superuser_client.post(reverse("admin:audit_auditentry_changelist"),
                              {"action": "delete_selected", "_selected_action": [str(entry.pk)], "post": "yes"})
        entry.refresh_from_db()
        assert (entry.action, entry.object_repr) == ("update", "发改局")
