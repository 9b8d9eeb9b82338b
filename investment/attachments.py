"""Files kept with a lead (意向书, 协议, 纪要): what may be kept, and keeping and removing them.

A lead's files are as secret as the lead: they are read through the lead (``Lead.objects.visible_to``) and
always sent as a download, never shown in the browser, so a file cannot run script on the site. Only
the kinds a 招商 office exchanges are taken (PDF, OFD, Word, Excel, WPS, images), each checked by its first
bytes as well as its name; the size limit is the uploads' (DIAODU_MAX_UPLOAD_BYTES), and the file is read
from Django's temporary file in pieces, never whole into a request's memory beyond that limit.
"""
from __future__ import annotations

import hashlib
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_delete, audit_record
from core.policies import can, require
from investment.models import Attachment, Lead

# The first bytes of each kind taken: the name's extension must agree with them.
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97-2003, Excel 97-2003, WPS
KINDS: dict[str, tuple[bytes, str]] = {
    ".pdf": (b"%PDF-", "application/pdf"),
    ".ofd": (_ZIP, "application/ofd"),
    ".docx": (_ZIP, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".xlsx": (_ZIP, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".doc": (_OLE, "application/msword"),
    ".xls": (_OLE, "application/vnd.ms-excel"),
    ".wps": (_OLE, "application/vnd.ms-works"),
    ".jpg": (b"\xff\xd8\xff", "image/jpeg"),
    ".jpeg": (b"\xff\xd8\xff", "image/jpeg"),
    ".png": (b"\x89PNG\r\n\x1a\n", "image/png"),
}
MAX_PER_LEAD = 30
_CHUNK = 64 * 1024


def kinds_in_words() -> str:
    return "PDF、OFD、Word（.doc/.docx）、Excel（.xls/.xlsx）、WPS、JPG、PNG"


def _clean_name(name: str) -> str:
    """The file's own name without any folder a browser sent, cut to what the column holds (keeping the
    extension)."""
    base = PurePath(name.replace("\\", "/")).name.strip() or "file"
    stem, dot, ext = base.rpartition(".")
    if dot and len(base) > 200:
        return stem[: 199 - len(ext)] + "." + ext
    return base[:200]


def _read(upload: Any, limit: int) -> bytes:
    """The upload's bytes, refused past ``limit`` while reading (a size the client claimed is not trusted)."""
    pieces: list[bytes] = []
    total = 0
    upload.seek(0)
    for piece in upload.chunks(_CHUNK) if hasattr(upload, "chunks") else iter(lambda: upload.read(_CHUNK), b""):
        total += len(piece)
        if total > limit:
            raise ValidationError(_("文件超过上限 %(limit).0f MB。") % {"limit": limit / 1024 / 1024}, code="size")
        pieces.append(piece)
    return b"".join(pieces)


def attachment_refusal(name: str, head: bytes) -> str | None:
    """Why a file of this name beginning with these bytes is not taken, in words; None when it is."""
    ext = PurePath(name.lower()).suffix
    kind = KINDS.get(ext)
    if kind is None:
        return _("只能上传 %(kinds)s 文件。") % {"kinds": kinds_in_words()}
    if not head:
        return _("上传的文件是空的（0 字节）。")
    if not head.startswith(kind[0]):
        return _("文件内容与扩展名 %(ext)s 不符，可能已损坏或被改了扩展名。") % {"ext": ext}
    return None


@transaction.atomic
def attachment_add(*, by: Any, lead: Lead, upload: Any, note: str = "", source: str = "form") -> Attachment:
    require(by, "investment.attach", lead)
    limit = settings.DIAODU_MAX_UPLOAD_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ValidationError(
            _("文件大小为 %(size).1f MB，超过上限 %(limit).0f MB。") % {"size": size / 1024 / 1024,
                                                                 "limit": limit / 1024 / 1024},
            code="size",
        )
    name = _clean_name(str(getattr(upload, "name", "") or ""))
    data = _read(upload, limit)
    if (refusal := attachment_refusal(name, data[:16])) is not None:
        raise ValidationError(refusal, code="kind")
    # Counted under the lead's row lock, so two uploads at once cannot pass the limit together.
    Lead.objects.select_for_update().filter(pk=lead.pk).first()
    if Attachment.objects.filter(lead=lead).count() >= MAX_PER_LEAD:
        raise ValidationError(_("每条线索最多保存 %(n)d 个附件，请先删除不再需要的附件。") % {"n": MAX_PER_LEAD},
                              code="count")
    attachment = Attachment.objects.create(
        lead=lead, name=name, content_type=KINDS[PurePath(name.lower()).suffix][1], size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), data=data, note=note.strip()[:200], uploaded_by=by,
    )
    audit_record(by=by, instance=attachment, before={}, subject=lead, source=source, exclude=frozenset({"data"}))
    return attachment


@transaction.atomic
def attachment_delete(*, by: Any, attachment: Attachment, source: str = "form") -> None:
    require(by, "investment.remove_attachment", attachment)
    audit_delete(by=by, instance=attachment, subject=attachment.lead, source=source, exclude=frozenset({"data"}))


def section(lead: Lead, user: Any) -> dict[str, Any]:
    """What the lead page shows of the files: each with whether this user may remove it, and the form's
    limits in words."""
    rows = list(Attachment.objects.filter(lead=lead).select_related("uploaded_by").defer("data"))
    return {
        "rows": [{"file": row, "removable": can(user, "investment.remove_attachment", row)} for row in rows],
        "can_attach": can(user, "investment.attach", lead) and len(rows) < MAX_PER_LEAD,
        "kinds": kinds_in_words(),
        "max_mb": settings.DIAODU_MAX_UPLOAD_BYTES // (1024 * 1024),
        "accept": ",".join(KINDS),
    }
