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
