"""Settings for the test suite: the production settings with a throwaway key and fast hashing."""
from __future__ import annotations

import os

os.environ.setdefault("DIAODU_TESTING", "1")

from diaodu.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Plain names and no collectstatic in tests (diaodu/tests/test_deploy.py collects for its own server). So WhiteNoise
# looks in STATIC_ROOT per request rather than warning in every test that the folder does not exist.
WHITENOISE_AUTOREFRESH = True

# Tasks run inline, in the request that enqueues them; a test that needs the real queue (a worker
# process) overrides TASKS with the database backend (core/tests/test_worker_recovery.py).
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Generated files (bulletins) go to a throwaway folder, never into the working tree.
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="diaodu-test-media-"))

# The bulletin's PDF comes from LibreOffice, seconds a bulletin: only the tests that are about it turn it on
# (dispatch/tests/test_bulletin_pdf.py and test_bulletin_export.py set it themselves).
DIAODU_LIBREOFFICE = ""
