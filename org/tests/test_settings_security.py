"""Production defaults: DEBUG off, a secret key required, security headers on every response."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.test import Client
from django.urls import reverse

from org.models import User

ROOT = Path(__file__).resolve().parents[2]


def settings_in_subprocess(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Import diaodu.settings in a fresh interpreter with only ``env`` set among the DIAODU_ variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DIAODU_") and k != "DJANGO_SETTINGS_MODULE"}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", f"import diaodu.settings as s\n{code}"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60, check=False,
    )


def test_debug_is_off_by_default() -> None:
    result = settings_in_subprocess("print(s.DEBUG, s.SECRET_KEY)", DIAODU_SECRET_KEY="k" * 50)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "k" * 50]


def test_debug_is_on_only_when_asked() -> None:
    for value, expected in [("1", "True"), ("true", "True"), ("0", "False"), ("", "False"), ("no", "False")]:
        result = settings_in_subprocess("print(s.DEBUG)", DIAODU_SECRET_KEY="k" * 50, DIAODU_DEBUG=value)
        assert result.stdout.strip() == expected, (value, result.stderr)


def test_a_secret_key_is_required_in_production() -> None:
    result = settings_in_subprocess("print('imported')")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DIAODU_SECRET_KEY" in result.stderr
    assert "imported" not in result.stdout


def test_debug_and_tests_get_a_random_key() -> None:
    keys = set()
    for env in ({"DIAODU_DEBUG": "1"}, {"DIAODU_TESTING": "1"}, {"DIAODU_DEBUG": "1"}):
        result = settings_in_subprocess("print(s.SECRET_KEY)", **env)
        assert result.returncode == 0, result.stderr
        keys.add(result.stdout.strip())
    assert len(keys) == 3 and all(len(key) >= 50 for key in keys)


def test_cookies_are_secure_when_asked() -> None:
    code = "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY)"
    result = settings_in_subprocess(code, DIAODU_SECRET_KEY="k" * 50, DIAODU_SECURE_COOKIES="1")
    assert result.stdout.split() == ["True", "True", "True"], result.stderr


def test_security_headers_are_sent(personas: dict[str, User]) -> None:
    anonymous = Client().get(reverse("login"))
    client = Client()
    client.force_login(personas["viewer"])
    for response in (anonymous, client.get(reverse("projects:ledger")), client.get(reverse("projects:map_points"))):
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_pages_are_not_cached_by_shared_caches(personas: dict[str, User]) -> None:
    # The login page carries a CSRF token; Django marks it private so no proxy serves it to another user.
    response: Any = Client().get(reverse("login"))
    assert "private" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


class TestLanguage:
    def test_chinese_by_default_even_for_an_english_browser(self, personas: dict) -> None:
        from django.test import Client

        client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
        response = client.get("/login/")
        assert response.status_code == 200
        assert response.headers["Content-Language"] == "zh-hans"

    def test_the_switcher_choice_wins(self, personas: dict) -> None:
        from django.test import Client

        client = Client()
        response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
        assert response.status_code == 302
        assert client.get("/login/").headers["Content-Language"] == "en"


def test_a_short_secret_key_is_refused_in_production() -> None:
    result = settings_in_subprocess("print('imported')", DIAODU_SECRET_KEY="k" * 49)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "50" in result.stderr
    assert "imported" not in result.stdout
    assert settings_in_subprocess("print('imported')", DIAODU_SECRET_KEY="k" * 50).stdout.strip() == "imported"


def test_https_settings_come_from_the_environment() -> None:
    code = "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, getattr(s, 'SECURE_PROXY_SSL_HEADER', None))"
    plain = settings_in_subprocess(code, DIAODU_SECRET_KEY="k" * 50)
    assert plain.stdout.split() == ["False", "0", "None"], plain.stderr
    https = settings_in_subprocess(
        code, DIAODU_SECRET_KEY="k" * 50, DIAODU_SSL_REDIRECT="1", DIAODU_HSTS_SECONDS="31536000",
        DIAODU_BEHIND_HTTPS_PROXY="1",
    )
    assert https.stdout.strip() == "True 31536000 ('HTTP_X_FORWARDED_PROTO', 'https')", https.stderr


def test_hsts_is_sent_over_https_when_configured(personas: dict[str, User], settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    response = Client().get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000"


def test_the_content_security_policy_forbids_inline_script(personas: dict[str, User]) -> None:
    client = Client()
    client.force_login(personas["viewer"])
    for response in (Client().get(reverse("login")), client.get(reverse("projects:ledger"))):
        parts = [part.split() for part in response["Content-Security-Policy"].split(";") if part.strip()]
        directives = {part[0]: part[1:] for part in parts}
        assert directives["script-src"] == ["'self'"]
        assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]


def test_the_map_tile_origin_is_allowed_for_images_only() -> None:
    code = "d = s.CONTENT_SECURITY_POLICY['DIRECTIVES']; print(d['img-src'], d['script-src'])"
    result = settings_in_subprocess(
        code, DIAODU_SECRET_KEY="k" * 50, DIAODU_MAP_TILE_URL="https://{s}.tiles.example.cn/{z}/{x}/{y}.png"
    )
    assert result.stdout.strip() == "[\"'self'\", 'data:', 'https://*.tiles.example.cn'] [\"'self'\"]", result.stderr


def test_pages_with_data_are_never_stored(personas: dict[str, User]) -> None:
    client = Client()
    client.force_login(personas["office"])
    for name in ("projects:ledger", "projects:map_points", "dispatch:periods", "dispatch:problems"):
        cache = client.get(reverse(name))["Cache-Control"]
        assert "no-store" in cache and "private" in cache, (name, cache)


class TestErrorPages:
    def test_403_is_chinese_with_navigation(self, personas: dict[str, User]) -> None:
        client = Client()
        client.force_login(personas["viewer"])
        response = client.get(reverse("projects:create"))
        assert response.status_code == 403
        page = response.content.decode()
        assert "没有权限" in page and 'href="/projects/"' in page and "重点项目库" in page

    def test_404_is_chinese_with_navigation(self, personas: dict[str, User], settings: Any) -> None:
        settings.DEBUG = False
        client = Client()
        client.force_login(personas["viewer"])
        response = client.get("/projects/999999/")
        assert response.status_code == 404
        page = response.content.decode()
        assert "页面不存在" in page and "重点项目库" in page

    def test_500_is_chinese_with_navigation(self, personas: dict[str, User]) -> None:
        from django.template.loader import render_to_string

        page = render_to_string("500.html")
        assert "系统出错" in page and 'href="/projects/"' in page and "没有保存" in page


class TestRequestSize:
    def test_a_body_over_the_limit_is_refused_before_it_is_read(self, personas: dict[str, User], settings: Any) -> None:
        from django.test import RequestFactory

        from org.middleware import RequestSizeMiddleware

        read: list[str] = []

        def view(request: Any) -> Any:
            read.append("view")
            return None

        class Body:
            def read(self, *args: Any) -> bytes:
                read.append("body")
                return b""

        request = RequestFactory().post("/projects/excel/import/")
        request.META["CONTENT_LENGTH"] = str(100 * 1024 * 1024)
        request.META["wsgi.input"] = Body()
        response = RequestSizeMiddleware(view)(request)
        assert response.status_code == 413
        assert "文件太大" in response.content.decode() and "10 MB" in response.content.decode()
        assert read == []  # neither the view nor the body was touched

    def test_a_body_within_the_limit_goes_through(self, personas: dict[str, User]) -> None:
        client = Client()
        client.force_login(personas["office"])
        response = client.post(reverse("projects:excel_import"), {})
        assert response.status_code != 413


def test_a_request_in_english_leaves_the_thread_in_chinese(personas: dict[str, User]) -> None:
    from django.utils import translation

    client = Client()
    client.force_login(personas["viewer"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert client.get(reverse("projects:ledger")).headers["Content-Language"] == "en"
    assert translation.get_language() == "zh-hans"
