"""Platform views: a background job's progress fragment and retry button, the health check, and the
district's settings page."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import district, tasks
from core.models import Job
from core.policies import can, require
from org.access import current_user


def _job_for(request: HttpRequest, pk: int) -> Job:
    """A job is seen by whoever asked for it and by the project office; others get 403."""
    job = get_object_or_404(Job, pk=pk)
    require(current_user(request), "core.see_job", job)
    return job


@require_GET
def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The fragment a page polls while its job runs; with ?reload=1 the page reloads once it ends."""
    job = _job_for(request, pk)
    response = render(request, "core/_job.html", {"job": job, "reload": request.GET.get("reload") == "1"})
    if request.GET.get("reload") == "1" and not (job.active and not job.dead):
        response["HX-Refresh"] = "true"
    return response


@require_POST
def job_retry(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    # A job whose process died is first recovered (queued again while it has attempts left).
    tasks.jobs_recover()
    job.refresh_from_db()
    if job.state == Job.State.FAILED:
        tasks.job_retry(job=job)
        messages.info(request, _("任务已重新排队。"))
    elif job.active:
        messages.info(request, _("任务正在进行，无需重试。"))
    back = request.META.get("HTTP_REFERER", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("/")


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For the load balancer and monitoring: the database answers, and when a worker was last seen.

    Nothing else is told (no counts, no names, no versions); 503 when the database does not answer.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        health = tasks.worker_health()
    except DatabaseError:
        return JsonResponse({"database": "error", "worker": "unknown", "worker_seen": None}, status=503)
    return JsonResponse({
        "database": "ok",
        "worker": health.state,
        "worker_seen": health.seen.isoformat() if health.seen else None,
    })


@require_http_methods(["GET", "POST"])
def district_settings(request: HttpRequest) -> HttpResponse:
    """The district's settings: the administrators and the office read them, only an administrator saves."""
    user = current_user(request)
    require(user, "core.view_district")
    may_change = can(user, "core.change_district")
    if request.method == "POST":
        require(user, "core.change_district")
    row = district.current_row()
    form = district.DistrictSettingsForm(
        request.POST if request.method == "POST" else None, instance=row, read_only=not may_change
    )
    if request.method == "POST" and form.is_valid():
        try:
            district.district_settings_update(values=form.values(), version=form.cleaned_data["version"], by=user)
        except district.DistrictSettingsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("区县设置已保存。"))
            return redirect("core:district_settings")
    return render(request, "core/district_settings.html", {
        "form": form, "may_change": may_change, "row": row, "current": district.district(),
    })
