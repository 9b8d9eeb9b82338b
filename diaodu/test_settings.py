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

DIAODU_JOBS_INLINE = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Generated files (bulletins) go to a throwaway folder, never into the working tree.
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="diaodu-test-media-"))
