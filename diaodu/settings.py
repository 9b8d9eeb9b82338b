"""Settings for diaodu, read from the environment through small typed helpers.

Nothing secret lives here: SECRET_KEY and DATABASE_URL come from the environment.
DEBUG is off unless DIAODU_DEBUG=1 (which `make run` sets for the local demo).
"""
from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import django_stubs_ext

# Lets model and admin classes be subscripted at run time, as the type hints write them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DIAODU_DEBUG")
# A fixed development key would be a secret in the repository; without the variable we
# generate one per process in DEBUG, and refuse to start in production.
SECRET_KEY = env_str("DIAODU_SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or env_bool("DIAODU_TESTING"):
        from django.core.management.utils import get_random_secret_key

        SECRET_KEY = get_random_secret_key()
    else:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("请设置环境变量 DIAODU_SECRET_KEY / Set DIAODU_SECRET_KEY")
elif len(SECRET_KEY) < 50 and not (DEBUG or env_bool("DIAODU_TESTING")):
    # A short key can be guessed offline from any signed cookie; Django's own check (security.W009)
    # only warns, so production refuses to start instead.
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "DIAODU_SECRET_KEY 太短（至少 50 个字符）/ DIAODU_SECRET_KEY must be at least 50 characters"
    )

ALLOWED_HOSTS = env_list("DIAODU_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DIAODU_CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "audit",
    "org",
    "core",
    "projects",
    "dispatch",
    "investment",
    # After core, whose db_worker (the queue's worker plus a heartbeat and restart recovery) wins.
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from STATIC_ROOT (docs/deploy.md), before sessions and the login check run.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "org.middleware.LanguageMiddleware",
    "org.middleware.RequestSizeMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "org.middleware.NoStoreMiddleware",
]

ROOT_URLCONF = "diaodu.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "core.context_processors.site",
                "dispatch.context_processors.notifications",
            ],
        },
    },
]

WSGI_APPLICATION = "diaodu.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DIAODU_DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Deadline day: 30 units save at once. A transaction that starts as a read cannot upgrade to a
    # write lock while another writer holds it, and SQLite fails it at once with "database is
    # locked" whatever the timeout. IMMEDIATE takes the write lock when the transaction begins, so
    # writers queue (up to the busy timeout) instead of failing; WAL lets readers go on meanwhile.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("DIAODU_SQLITE_TIMEOUT", 20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The ledger's queries are short; PostgreSQL's JIT compiles them for longer than they run
    # (docs/benchmarks.md: the sorted 20,000-project ledger went from 223 to 197 ms).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"  # the root sends each role to its home (diaodu/urls.py)
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Idle sessions expire: the cookie is renewed on every request and dies after this many
# seconds without one.
SESSION_COOKIE_AGE = env_int("DIAODU_SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("DIAODU_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Behind HTTPS (docs/deploy: the proxy terminates TLS and sets X-Forwarded-Proto): redirect plain
# HTTP, and tell browsers to use HTTPS only for this many seconds (HSTS). Both off by default, since
# a district's intranet may serve plain HTTP.
SECURE_SSL_REDIRECT = env_bool("DIAODU_SSL_REDIRECT")
SECURE_HSTS_SECONDS = env_int("DIAODU_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
if env_bool("DIAODU_BEHIND_HTTPS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): no inline script anywhere, nothing from another origin.
# Every page's script lives in static/js; user text reaches scripts only as JSON data. Inline
# style attributes are allowed (the gantt and map libraries position elements with them).
def _tile_origin(template: str) -> str:
    """The origin of a tile URL template for img-src; a {s} subdomain becomes a CSP wildcard."""
    from urllib.parse import urlsplit

    parts = urlsplit(template.replace("{s}", "SUBDOMAIN"))
    return f"{parts.scheme}://{parts.netloc.replace('SUBDOMAIN', '*')}" if parts.netloc else ""


_TILE_ORIGIN = _tile_origin(env_str("DIAODU_MAP_TILE_URL"))
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", *([_TILE_ORIGIN] if _TILE_ORIGIN else [])],
        "connect-src": ["'self'"],
        "font-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# The client's address for the login lockout. Behind a reverse proxy every request comes from the
# proxy, so without this one user's typos would lock out the whole district. List the proxies'
# addresses here; only then is the right-most untrusted X-Forwarded-For entry taken as the client.
DIAODU_TRUSTED_PROXIES = env_list("DIAODU_TRUSTED_PROXIES", "")

# Login lockout: this many failures for one user name (or from one address) within the
# window lock further attempts until the window has passed.
LOGIN_MAX_FAILURES = env_int("DIAODU_LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_SECONDS = env_int("DIAODU_LOGIN_LOCKOUT_SECONDS", 15 * 60)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("DIAODU_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# `manage.py collectstatic` copies here; WhiteNoise serves it, gzip-compressed, under hashed names that
# browsers may cache for ever (DEBUG serves the plain names from static/ without collecting).
STATIC_ROOT = Path(env_str("DIAODU_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Generated files (bulletins) are kept here; back this folder up with the database.
MEDIA_ROOT = Path(env_str("DIAODU_MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "media/"

# Uploads. DIAODU_MAX_UPLOAD_BYTES is the Excel importer's limit; a request whose declared body is
# larger than it (plus room for the form around the file) is refused with a Chinese 413 page before
# its body is read (org.middleware.RequestSizeMiddleware). A non-file body over
# DATA_UPLOAD_MAX_MEMORY_SIZE is refused by Django; files over FILE_UPLOAD_MAX_MEMORY_SIZE are
# streamed to a temporary file, never held in memory. Set the reverse proxy's own body limit
# (nginx client_max_body_size) to the same size, so a body without a length stops there too.
DIAODU_MAX_UPLOAD_BYTES = env_int("DIAODU_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
# LibreOffice's program for the bulletin's PDF (dispatch/bulletins/pdf.py); empty: no PDF.
DIAODU_LIBREOFFICE = env_str("DIAODU_LIBREOFFICE", "soffice")
DIAODU_MAX_REQUEST_BYTES = DIAODU_MAX_UPLOAD_BYTES + 256 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Light (红黄绿灯) thresholds; see projects/rules.py. Each district sets its own.
DIAODU_LIGHT_THRESHOLDS = {
    "yellow_gap": env_str("DIAODU_LIGHT_YELLOW_GAP", "10"),
    "red_gap": env_str("DIAODU_LIGHT_RED_GAP", "30"),
    "start_red_months": env_int("DIAODU_LIGHT_START_RED_MONTHS", 3),
    "milestone_red_days": env_int("DIAODU_LIGHT_MILESTONE_RED_DAYS", 30),
}

# The monthly dispatch cycle (dispatch/rules.py says what each rule means).
DIAODU_REPORT_DEADLINE = env_str("DIAODU_REPORT_DEADLINE", "day:25")
DIAODU_REPORT_HALF_MONTH = env_bool("DIAODU_REPORT_HALF_MONTH")
DIAODU_REMINDER_DAYS_BEFORE = env_int("DIAODU_REMINDER_DAYS_BEFORE", 2)

# Investment attraction (investment/rules.py, investment/names.py): the days without contact that turn a
# lead yellow and red ("yellow,red"), and how alike two enterprise names must be (0–1) for the office to be
# told of a collision (撞单). 0.85 found every true pair but abbreviations and merged no near names on the
# table in investment/tests/test_names.py.
DIAODU_LEAD_STALE_DAYS = tuple(int(days) for days in env_str("DIAODU_LEAD_STALE_DAYS", "30,60").split(","))
DIAODU_LEAD_COLLISION_THRESHOLD = float(env_str("DIAODU_LEAD_COLLISION_THRESHOLD", "0.85"))
# Build the collision check's name index when the web process starts (diaodu/wsgi.py), not at the first entry.
DIAODU_WARM_NAME_INDEX = env_bool("DIAODU_WARM_NAME_INDEX", True)
# A DingTalk or WeCom group robot URL; reminders are also posted there when it is set.
DIAODU_WEBHOOK_URL = env_str("DIAODU_WEBHOOK_URL")
DIAODU_PROBLEM_REMIND_DAYS = env_int("DIAODU_PROBLEM_REMIND_DAYS", 3)
DIAODU_PROBLEM_RED_DAYS = env_int("DIAODU_PROBLEM_RED_DAYS", 15)
# The document number prefix of bulletins, e.g. 寒重项办; default: the district's first character + 调度.
DIAODU_BULLETIN_PREFIX = env_str("DIAODU_BULLETIN_PREFIX")
# Background work (bulletins, publishing, large imports, reminders) is queued in the database and
# run by a separate process, `manage.py db_worker` (core/tasks.py; `make run` starts it).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# E-mail for reminders; without a host, reminders go in-app (and to the webhook) only.
EMAIL_HOST = env_str("DIAODU_EMAIL_HOST")
EMAIL_PORT = env_int("DIAODU_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("DIAODU_EMAIL_USER")
EMAIL_HOST_PASSWORD = env_str("DIAODU_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("DIAODU_EMAIL_TLS")
DEFAULT_FROM_EMAIL = env_str("DIAODU_EMAIL_FROM", "diaodu@localhost")

# Map: government intranets have no public tiles, so none is assumed. Set a tile URL
# template (e.g. 天地图 with its key) to draw a base map; without it points show on a blank map.
DIAODU_MAP_TILE_URL = env_str("DIAODU_MAP_TILE_URL")
DIAODU_MAP_ATTRIBUTION = env_str("DIAODU_MAP_ATTRIBUTION")
DIAODU_MAP_CENTER = (
    float(env_str("DIAODU_MAP_LAT", "36.70")),
    float(env_str("DIAODU_MAP_LNG", "119.16")),
)
DIAODU_DISTRICT_NAME = env_str("DIAODU_DISTRICT_NAME", "示范区")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DIAODU_LOG_LEVEL", "WARNING")},
}
