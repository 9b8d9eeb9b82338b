"""Units (departments, towns), people and their roles, and the working-day calendar."""
from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Unit(models.Model):
    class Kind(models.TextChoices):
        DISTRICT = "district", _("区")
        DEPARTMENT = "department", _("部门")
        TOWN = "town", _("镇街")

    name = models.CharField(_("名称"), max_length=60, unique=True)
    short_name = models.CharField(_("简称"), max_length=20, blank=True)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    # The group a unit is assessed in (e.g. 经济发展类 / 社会管理类 towns), for later
    # differentiated assessment.
    category = models.CharField(_("考核类别"), max_length=30, blank=True)
    population = models.PositiveIntegerField(_("人口"), null=True, blank=True)
    order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["kind", "order", "name"]

    def __str__(self) -> str:
        return self.short_name or self.name


class User(AbstractUser):
    class Role(models.TextChoices):
        ADMIN = "admin", _("系统管理员")
        LEADER = "leader", _("区领导")
        OFFICE = "office", _("项目办")
        REPORTER = "reporter", _("单位填报员")
        VIEWER = "viewer", _("只读查看")

    full_name = models.CharField(_("姓名"), max_length=30, blank=True)
    role = models.CharField(_("角色"), max_length=10, choices=Role.choices, default=Role.VIEWER)
    unit = models.ForeignKey(
        Unit, verbose_name=_("所在单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="people"
    )
    title = models.CharField(_("职务"), max_length=40, blank=True)
    phone = models.CharField(_("电话"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["role", "username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_office(self) -> bool:
        """Administrators and the project office may edit every project."""
        return self.role in {self.Role.ADMIN, self.Role.OFFICE} or self.is_superuser


class Holiday(models.Model):
    """One day that departs from the plain Monday-to-Friday rule.

    ``chinesecalendar`` knows the State Council schedule only up to 2026; an
    administrator adds each later year's holidays and adjusted working days (调休) here,
    and an entry here always wins over the package.
    """

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是否上班"), default=False, help_text=_("勾选表示调休上班日，不勾选表示放假"))
    name = models.CharField(_("说明"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("节假日")
        verbose_name_plural = _("节假日")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class LoginAttempt(models.Model):
    """Each login attempt of the lockout window, as a record of access; older ones are removed."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["ip", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {'ok' if self.succeeded else 'fail'}"


class LoginThrottle(models.Model):
    """The failed-login counter of one user name ("user:<name>") or one address ("ip:<address>").

    One row per key, incremented by a single conditional UPDATE, so that attempts arriving at the
    same moment cannot all be checked against the same count (org.security).
    """

    key = models.CharField(max_length=200, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("登录失败计数")
        verbose_name_plural = _("登录失败计数")

    def __str__(self) -> str:
        return f"{self.key} {self.failures}"


def holiday_overrides() -> dict[dt.date, bool]:
    return dict(Holiday.objects.values_list("date", "is_workday"))
