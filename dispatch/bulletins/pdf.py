"""The bulletin as PDF: the Word document converted by LibreOffice, where it is installed.

Many readers have no Word, and an archive wants a file that looks the same everywhere. The PDF
is made from the very .docx that is kept, so it says what the Word document says; it is an
extra: without LibreOffice there is none, and a conversion that fails leaves the .docx and
.xlsx as they are (dispatch.bulletins.jobs records why).

Each conversion runs ``soffice --headless --convert-to pdf`` in a temporary folder of its own,
with its own LibreOffice profile (``-env:UserInstallation``): two conversions at once (two
workers, a worker and ``manage.py bulletin_export``) would otherwise share one profile, and the
second would hand its document to the first instance and return without a file. The process
runs in its own session, so a conversion that overruns its time is killed with every process
it started. Fonts: LibreOffice finds the official fonts, or their stand-ins, through fontconfig
(README, deploy/fonts/).

``settings.DIAODU_LIBREOFFICE`` names the program (default ``soffice``, looked up on PATH); an
empty value turns the PDF off, as the tests do where they do not test it.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

# A bulletin of 2,000 projects converts in well under a minute; more is a LibreOffice gone wrong.
TIMEOUT_SECONDS = 300
# How often a waiting conversion reports that it is alive (the job's heartbeat; core.tasks.STALE_AFTER is longer).
BEAT_SECONDS = 10


class PdfError(Exception):
    """The conversion failed; the message says why, in the district's language."""


def soffice_path() -> str | None:
    """The LibreOffice program to run, or None when it is not installed (or turned off)."""
    name = getattr(settings, "DIAODU_LIBREOFFICE", "soffice")
    return shutil.which(name) if name else None


def libreoffice_available() -> bool:
    return soffice_path() is not None


def _kill(process: subprocess.Popen[bytes]) -> None:
    """End the conversion and whatever it started (soffice runs soffice.bin): its own process group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def docx_to_pdf(data: bytes, *, timeout: float = TIMEOUT_SECONDS,
                heartbeat: Callable[[], None] | None = None) -> bytes | None:
    """The PDF of a .docx; None when LibreOffice is not installed; :class:`PdfError` when it fails.

    ``heartbeat`` is called every few seconds while LibreOffice works, so a long conversion in a
    background job is not taken for a dead one.
    """
    program = soffice_path()
    if program is None:
        return None
    with tempfile.TemporaryDirectory(prefix="diaodu-pdf-") as folder:
        root = Path(folder)
        source = root / "bulletin.docx"
        source.write_bytes(data)
        out = root / "out"
        command = [
            program, f"-env:UserInstallation={(root / 'profile').as_uri()}", "--headless", "--invisible",
            "--nologo", "--nodefault", "--norestore", "--nolockcheck",
            "--convert-to", "pdf:writer_pdf_Export", "--outdir", str(out), str(source),
        ]
        # HOME too: LibreOffice writes there before it reads the profile's place, and a service's
        # home may not be writable.
        env = {**os.environ, "HOME": str(root)}
        began = time.monotonic()
        try:
            process = subprocess.Popen(
                command, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            raise PdfError(
                _("无法启动 LibreOffice（%(program)s）：%(error)s") % {"program": program, "error": exc}
            ) from exc
        try:
            while True:
                try:
                    stdout, stderr = process.communicate(timeout=min(BEAT_SECONDS, timeout))
                    break
                except subprocess.TimeoutExpired:
                    if time.monotonic() - began >= timeout:
                        raise PdfError(_("LibreOffice 转换超时（超过 %(seconds)d 秒），已终止。") % {
                            "seconds": int(timeout)}) from None
                    if heartbeat is not None:
                        heartbeat()
        finally:
            # Overrun, or the heartbeat failed: LibreOffice does not outlive the conversion.
            if process.poll() is None:
                _kill(process)
        result = out / "bulletin.pdf"
        if process.returncode != 0 or not result.is_file() or not result.read_bytes().startswith(b"%PDF"):
            # LibreOffice says "source file could not be loaded" on stdout, warnings on stderr.
            said = b"\n".join(part for part in (stdout, stderr) if part).decode("utf-8", "replace").strip()[-300:]
            raise PdfError(_("LibreOffice 未能转换（退出码 %(code)s）：%(said)s") % {
                "code": process.returncode, "said": said or _("没有输出"),
            })
        return result.read_bytes()
