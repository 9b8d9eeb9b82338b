"""A lead's files: upload, download, remove. Every view reads the lead through its visibility first
(another unit's lead or file is not found), then asks the rule."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.policies import require
from investment import attachments
from investment.models import Attachment, Lead
from org.access import current_user


def _attachment(request: HttpRequest, lead_pk: int, pk: int) -> Attachment:
    lead = Lead.objects.visible_to(current_user(request)).filter(pk=lead_pk).first()
    attachment = Attachment.objects.filter(lead=lead, pk=pk).select_related("lead").first() if lead else None
    if attachment is None:
        raise Http404
    return attachment


@require_POST
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    lead = Lead.objects.visible_to(user).filter(pk=pk).first()
    if lead is None:
        raise Http404
    require(user, "investment.attach", lead)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("请选择要上传的文件。"))
    else:
        try:
            attachment = attachments.attachment_add(by=user, lead=lead, upload=upload,
                                                    note=request.POST.get("note", ""))
        except ValidationError as error:
            messages.error(request, _("附件未上传：%(reason)s") % {"reason": "；".join(error.messages)})
        else:
            messages.success(request, _("已上传附件“%(name)s”。") % {"name": attachment.name})
    return redirect(reverse("investment:lead_detail", args=[lead.pk]) + "#attachments")


@require_GET
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    attachment = _attachment(request, pk, attachment_pk)
    require(current_user(request), "investment.view", attachment.lead)
    # Always a download (never shown inline), so no file can run in the site's pages.
    response = HttpResponse(bytes(attachment.data), content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition_header(True, attachment.name) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def attachment_delete(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    attachment = _attachment(request, pk, attachment_pk)
    lead = attachment.lead
    attachments.attachment_delete(by=current_user(request), attachment=attachment)
    messages.success(request, _("已删除附件“%(name)s”。") % {"name": attachment.name})
    return redirect(reverse("investment:lead_detail", args=[lead.pk]) + "#attachments")
