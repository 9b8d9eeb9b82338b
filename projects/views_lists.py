"""The list import pages (导入区县清单): upload any .xlsx, check the guessed mapping, map unknown values,
choose defaults, preview, save the mapping as a profile, import in the worker with progress.

The upload is kept under MEDIA_ROOT/imports/lists/<token>.xlsx; the token is remembered in the
uploader's session, so nobody else can open another's file or its mapping page. Every check
reads the whole file again under the choices posted (``projects.importing.run.analyse``), so what
the page shows is what the import will save.
"""
from __future__ import annotations

import dataclasses
import secrets
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files import File
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core import tasks as core_tasks
from core.models import Job
from core.policies import require
from org.access import current_user
from org.models import Unit, User
from projects.importing import fields as F
from projects.importing import values as V
from projects.importing.report import error_report_bytes
from projects.importing.run import (
    NEW,
    PREVIEW_ROWS,
    SKIP,
    Analysis,
    Choices,
    ImportRefused,
    active_leaders,
    analyse,
)
from projects.models import Construction, FundingSource, ImportProfile, Level, ProjectCategory, ProjectType, Stage

SESSION_KEY = "list_imports"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS_SHOWN = 200
KEEP_DAYS = 7
VALUE_LABELS = {
    "unit": "单位", "town": "镇街", "responsible_leader": "包靠领导", "level": "项目级别", "category": "项目类别",
    "funding_source": "资金来源", "project_type": "项目类型", "stage": "项目阶段", "construction": "建设性质",
}


def list_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / "lists"


def _path(request: HttpRequest, token: str) -> tuple[Path, str]:
    """The stored upload of this user's ``token`` and its original name; 404 for anyone else's."""
    kept = request.session.get(SESSION_KEY, {})
    if token not in kept or not token.isalnum():
        raise Http404
    path = list_dir() / f"{token}.xlsx"
    if not path.is_file():
        raise Http404
    return path, kept[token]


@require_http_methods(["GET", "POST"])
def list_upload(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, "projects.import_lists")
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("请选择要上传的清单文件（.xlsx）。")
        else:
            token = secrets.token_hex(16)
            folder = list_dir()
            folder.mkdir(parents=True, exist_ok=True)
            _forget_old(folder)
            with (folder / f"{token}.xlsx").open("wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            kept = request.session.get(SESSION_KEY, {})
            kept[token] = str(upload.name)[:200]
            request.session[SESSION_KEY] = kept
            target = f"{request.path}{token}/"
            profile = request.POST.get("profile", "")
            if profile.isdigit():
                target += f"?profile={profile}"
            return redirect(target)
    return render(request, "projects/list_upload.html", {
        "profiles": ImportProfile.objects.all(), "error": error,
        "max_mb": settings.DIAODU_MAX_UPLOAD_BYTES // (1024 * 1024),
    })


def _forget_old(folder: Path, days: int = KEEP_DAYS) -> None:
    """Uploads are kept for their mapping page and its result; after ``days`` they are removed."""
    limit = time.time() - days * 86400
    for old in folder.glob("*.xlsx"):
        if old.stat().st_mtime < limit:
            old.unlink(missing_ok=True)


def choices_from_post(data: Any, base: Choices) -> Choices:
    """The choices the mapping page posts: ``map:<header>``, ``value:<kind>:<folded>``, ``rate:<code>``,
    ``default:<field>``, ``amount_unit``, ``code_pattern``, ``sheet``, ``header_row``."""
    choices = dataclasses.replace(base, mapping=dict(base.mapping), values={k: dict(v) for k, v in base.values.items()},
                                  defaults=dict(base.defaults), rates=dict(base.rates))
    for name, value in data.items():
        if name.startswith("map:"):
            choices.mapping[name[4:]] = value if value in F.BY_KEY else ""
        elif name.startswith("value:"):
            _prefix, kind, key = name.split(":", 2)
            if kind in VALUE_LABELS and value:
                choices.values.setdefault(kind, {})[key] = value
        elif name.startswith("rate:") and value.strip():
            choices.rates[name[5:]] = value.strip()
        elif name.startswith("default:"):
            if value:
                choices.defaults[name[8:]] = value
            else:
                choices.defaults.pop(name[8:], None)
    if data.get("amount_unit") in {"万元", "亿元", "元"}:
        choices.amount_unit = data["amount_unit"]
    if "code_pattern" in data:
        choices.code_pattern = data["code_pattern"].strip() or choices.code_pattern
    if data.get("sheet"):
        choices.sheet = data["sheet"]
    header = str(data.get("header_row", "")).strip()
    if header.isdigit() and 0 < int(header) < 1000:
        choices.header_rows = (int(header),)
    return choices


def choices_as_data(choices: Choices) -> dict[str, Any]:
    data = dataclasses.asdict(choices)
    data["header_rows"] = list(choices.header_rows) if choices.header_rows else None
    return data


def choices_from_data(data: dict[str, Any]) -> Choices:
    rows = data.get("header_rows")
    return Choices(**{**data, "header_rows": tuple(rows) if rows else None})


def _code_error(pattern: str) -> str:
    try:
        V.check_code_pattern(pattern)
    except V.CellError as error:
        return str(error)
    return ""


@require_http_methods(["GET", "POST"])
def list_map(request: HttpRequest, token: str) -> HttpResponse:
    user = current_user(request)
    require(user, "projects.import_lists")
    path, upload_name = _path(request, token)
    base = Choices()
    profile = None
    profile_pk = request.GET.get("profile") or request.POST.get("profile_pk")
    if profile_pk and str(profile_pk).isdigit():
        profile = ImportProfile.objects.filter(pk=int(profile_pk)).first()
        if profile is not None:
            base = Choices.from_profile(profile)
    choices = choices_from_post(request.POST, base) if request.method == "POST" else base
    # The error report downloads what this page last checked.
    request.session[f"{SESSION_KEY}:{token}"] = choices_as_data(choices)
    code_error = _code_error(choices.code_pattern)
    try:
        with path.open("rb") as handle:
            analysis = analyse(File(handle, name=upload_name), choices)
    except ImportRefused as error:
        return render(request, "projects/list_upload.html", {
            "profiles": ImportProfile.objects.all(), "error": str(error),
            "max_mb": settings.DIAODU_MAX_UPLOAD_BYTES // (1024 * 1024),
        })
    action = request.POST.get("action", "check")
    if request.method == "POST" and action == "save_profile":
        saved = _save_profile(request, user, choices, analysis)
        if saved is not None:
            return redirect(f"{request.path}?profile={saved.pk}")
    if request.method == "POST" and action == "import":
        if analysis.ok and not code_error:
            job = core_tasks.job_start(
                task_path="projects.tasks.list_import_task", kind="import", key=f"user:{user.pk}",
                args=[token, upload_name, choices_as_data(choices), user.pk], by=user, max_attempts=1,
            )
            return redirect(f"{request.path}?job={job.pk}")
        messages.error(request, _("清单还有错误，未导入。请按下面的提示修改后再导入。"))
    return render(request, "projects/list_map.html", _context(request, token, upload_name, analysis, choices,
                                                               profile, code_error))


def _save_profile(request: HttpRequest, user: User, choices: Choices, analysis: Analysis) -> ImportProfile | None:
    name = request.POST.get("profile_name", "").strip()[:60]
    if not name:
        messages.error(request, _("请填写方案名称。"))
        return None
    profile, created = ImportProfile.objects.get_or_create(name=name, defaults={"updated_by": user})
    from audit.services import audit_record, audit_snapshot

    before = {} if created else audit_snapshot(profile)
    profile.mapping = {column.label: key or "" for column, key in analysis.columns}
    profile.values = choices.values
    profile.defaults = choices.defaults
    profile.rates = choices.rates
    profile.amount_unit = choices.amount_unit
    profile.code_pattern = choices.code_pattern
    profile.updated_by = user
    profile.version += 0 if created else 1
    try:
        profile.save()
    except IntegrityError:
        messages.error(request, _("方案名称已被使用，请换一个。"))
        return None
    audit_record(by=user, instance=profile, before=before, source="form")
    messages.success(request, _("已保存导入方案“%(name)s”，下次上传同一来源的清单时选择它即可。") % {"name": name})
    return profile


def _sample(analysis: Analysis) -> dict[int, list[str]]:
    """Up to three values of each column, as written, for the mapping table."""
    samples: dict[int, list[str]] = {}
    for data in analysis.table.rows().rows[:20]:
        for column, _key in analysis.columns:
            value = data.value(column.index)
            if value not in (None, "") and len(samples.setdefault(column.index, [])) < 3:
                samples[column.index].append(str(value)[:30])
    return samples


def _value_options(kind: str) -> list[tuple[str, str]]:
    """What an unknown value of ``kind`` can be mapped to: existing ones, and creating or skipping it."""
    if kind in {"unit", "town"}:
        units = Unit.objects.filter(is_active=True)
        if kind == "town":
            units = units.filter(kind=Unit.Kind.TOWN)
        options = [(str(u.pk), u.name) for u in units]
        return [*options, (NEW, _("新建此单位")), (SKIP, _("不导入"))]
    if kind == "responsible_leader":
        return [*[(str(u.pk), str(u)) for u in active_leaders()], (SKIP, _("留空"))]
    if kind == "category":
        return [*[(str(c.pk), c.name) for c in ProjectCategory.objects.filter(is_active=True)],
                (NEW, _("新建此类别")), (SKIP, _("留空"))]
    if kind == "funding_source":
        return [*[(str(f.pk), f.name) for f in FundingSource.objects.filter(is_active=True)],
                (NEW, _("新建此资金来源")), (SKIP, _("留空"))]
    enum = {"level": Level, "project_type": ProjectType, "stage": Stage, "construction": Construction}[kind]
    return [(str(code), str(label)) for code, label in enum.choices]


def _preview(analysis: Analysis) -> list[dict[str, Any]]:
    rows = []
    for row in analysis.rows[:PREVIEW_ROWS]:
        f = row.fields
        rows.append({
            "number": row.number,
            "code": row.code or (row.match.code if row.match else _("（自动生成）")),
            "action": _("更新") if row.match is not None else _("新增"),
            "name": f.get("name", ""),
            "total": f.get("total_investment"),
            "plans": "；".join(f"{year}年 {amount}" for year, amount in sorted(row.plans.items())),
            "lead_unit": _named(f.get("lead_unit")),
            "co_units": "、".join(_named(u) for u in row.co_units),
            "period": f.get("period_text", ""),
            "dates": " — ".join(str(d) for d in (f.get("planned_start"), f.get("planned_completion")) if d),
            "level": Level(f["level"]).label if f.get("level") in Level.values else "",
            "category": _named(f.get("category")),
            "stage": Stage(f["stage"]).label if f.get("stage") in Stage.values else "",
            "ok": row.ok,
        })
    return rows


def _named(value: Any) -> str:
    if isinstance(value, tuple):
        return _("%(name)s（新建）") % {"name": value[1]}
    return "" if value is None or value == SKIP else str(value)


def _context(request: HttpRequest, token: str, upload_name: str, analysis: Analysis, choices: Choices,
             profile: ImportProfile | None, code_error: str) -> dict[str, Any]:
    job = None
    pk = request.GET.get("job", "")
    if pk.isdigit():
        job = Job.objects.filter(pk=int(pk), kind="import", requested_by=current_user(request)).first()
    errors = sorted(analysis.errors, key=lambda issue: (issue.row or 0, issue.position))
    samples = _sample(analysis)
    fields = [(f.key, _(f.label)) for f in F.FIELDS if f.kind != F.IGNORE]
    # The values the file has that the district does not know, and those already mapped (kept on the
    # page, so that every later check and the saved profile still have them).
    unknown = []
    for kind in VALUE_LABELS:
        found = {V.fold(text): text for text in analysis.unknown_values.get(kind, [])}
        mapped = choices.values.get(kind, {})
        shown = {**{key: key for key in mapped}, **found}
        if shown:
            unknown.append({
                "kind": kind, "label": _(VALUE_LABELS[kind]), "options": _value_options(kind),
                "values": [(key, text, mapped.get(key, ""), key in found) for key, text in shown.items()],
            })
    return {
        "token": token, "upload_name": upload_name, "analysis": analysis, "choices": choices, "profile": profile,
        "profiles": ImportProfile.objects.all(), "job": job, "job_result": job.result if job else None,
        "columns": [{"column": c, "key": k or "", "samples": samples.get(c.index, [])} for c, k in analysis.columns],
        "fields": fields, "unknown": unknown,
        "errors": errors[:ERRORS_SHOWN], "error_count": len(errors), "errors_cut": len(errors) > ERRORS_SHOWN,
        "preview": _preview(analysis), "code_error": code_error,
        "default_selects": _default_selects(choices),
        "amount_units": ("万元", "亿元", "元"),
        "missing_rates": [(code, V.CURRENCY_NAMES.get(code, code)) for code in sorted(analysis.missing_rates)],
        "needs_unit": analysis.table.unit is None,
        "sheets": [analysis.table.sheet, *(name for name, _score in analysis.table.others)],
    }


def _default_selects(choices: Choices) -> list[dict[str, Any]]:
    """The defaults for fields a list lacks, each a select with the value chosen."""
    system, blank = _("（系统缺省）"), _("（留空）")
    rows = [
        ("level", _("项目级别"), [(str(c), str(label)) for c, label in Level.choices], system),
        ("project_type", _("项目类型"), [(str(c), str(label)) for c, label in ProjectType.choices], system),
        ("stage", _("项目阶段"), [(str(c), str(label)) for c, label in Stage.choices], system),
        ("construction", _("建设性质"), [(str(c), str(label)) for c, label in Construction.choices], system),
        ("category", _("项目类别"),
         [(str(c.pk), c.name) for c in ProjectCategory.objects.filter(is_active=True)], blank),
        ("funding_source", _("资金来源"),
         [(str(f.pk), f.name) for f in FundingSource.objects.filter(is_active=True)], blank),
        ("lead_unit", _("牵头单位（清单没有责任单位列时）"),
         [(str(u.pk), u.name) for u in Unit.objects.filter(is_active=True)], _("（无）")),
    ]
    return [{"name": name, "label": label, "options": options, "empty": empty,
             "selected": str(choices.defaults.get(name, ""))} for name, label, options, empty in rows]


@require_GET
def list_errors(request: HttpRequest, token: str) -> HttpResponse:
    """The error report (.xlsx): the user's file with the problem cells marked, and the list of errors."""
    user = current_user(request)
    require(user, "projects.import_lists")
    path, upload_name = _path(request, token)
    kept = request.session.get(f"{SESSION_KEY}:{token}")
    choices = choices_from_data(kept) if kept else Choices()
    with path.open("rb") as handle:
        analysis = analyse(File(handle, name=upload_name), choices)
    data = error_report_bytes(path, analysis.table.sheet, analysis.errors)
    response = HttpResponse(data, content_type=XLSX_TYPE)
    stem = Path(upload_name).stem or "list"
    disposition = content_disposition_header(True, _("%(name)s-错误报告.xlsx") % {"name": stem})
    response["Content-Disposition"] = disposition or "attachment"
    return response
