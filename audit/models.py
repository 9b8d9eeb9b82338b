"""Every change to business data, with who, when, the old and the new values.

An entry names the object changed (``model``/``object_id``) and the record it belongs to
(``subject_model``/``subject_id``), so a project's page can list the changes to the
project itself and to its milestones, plans and reports in one query.
"""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("新增")
        UPDATE = "update", _("修改")
        DELETE = "delete", _("删除")
        # Reading out what is secret (an export of investment leads): who took how many, when, with which filter.
        EXPORT = "export", _("导出")

    class Source(models.TextChoices):
        """Where a change came from. Every value the code passes as ``source`` is here (a test walks the
        code for them), so history shows a label in the reader's language, not the stored word."""

        FORM = "form", _("表单")
        EXCEL = "excel", _("Excel")
        GRID = "grid", _("网格")
        DEMO = "demo", _("示范数据")
        BENCH = "bench", _("压测数据")
        ADMIN = "admin", _("管理后台")
        SCHEDULE = "schedule", _("倒排工期")
        CHANGE = "change", _("申请审批")
        WITHDRAW = "withdraw", _("退库")
        CORRECTION = "correction", _("更正")
        BULLETIN = "bulletin", _("通报")
        LIST_IMPORT = "list-import", _("清单导入")

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(_("操作"), max_length=10, choices=Action.choices)
    model = models.CharField(_("对象类型"), max_length=60)
    object_id = models.CharField(_("对象编号"), max_length=40)
    object_repr = models.CharField(_("对象"), max_length=200)
    subject_model = models.CharField(max_length=60)
    subject_id = models.CharField(max_length=40)
    # {field verbose name: [old, new]} as display strings, so history reads the same
    # after a field's choices or a related name change.
    changes: models.JSONField[dict[str, Any], dict[str, Any]] = models.JSONField(_("变更内容"), default=dict)
    # Blank for a change no caller named (a period opened, a project deleted on its page).
    source = models.CharField(_("来源"), max_length=40, blank=True, choices=Source.choices)

    class Meta:
        verbose_name = _("变更记录")
        verbose_name_plural = _("变更记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject_model", "subject_id", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.object_repr}"
