"""Fixtures for the end-to-end tests: Debian's Chromium driven by Playwright against pytest-django's live server.

One browser for the browser-test module, a fresh context (cookies, storage) per test. Every page records
uncaught exceptions, console errors and failed requests, so a broken vendor asset path or a script error
fails the test that met it instead of passing silently.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MISSING_CHROMIUM = (
    "Chromium not found: install Debian's chromium package (apt-get install chromium) to run the browser tests"
)
VENDOR = Path(settings.BASE_DIR) / "static" / "vendor"
VENDOR_FILES = [
    "htmx/htmx.min.js",
    "echarts/echarts.min.js",
    "frappe-gantt/frappe-gantt.umd.js",
    "frappe-gantt/frappe-gantt.css",
    "leaflet/leaflet.js",
    "leaflet/leaflet.css",
]
# Requests the browser makes on its own, not the page: their failure says nothing about our pages.
IGNORED_URL_SUFFIXES = ("/favicon.ico",)


def require_chromium() -> str:
    """Chromium's path; without it the browser tests skip, or fail where DIAODU_REQUIRE_BROWSER=1.

    CI sets the variable so a runner without Chromium fails loudly instead of going green with the
    browser tests skipped.
    """
    path = CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium")
    if path is not None:
        return path
    if os.environ.get("DIAODU_REQUIRE_BROWSER") == "1":
        pytest.fail(MISSING_CHROMIUM)
    pytest.skip(MISSING_CHROMIUM)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium, launched once for the module that uses it.

    Module scope rather than session scope: the sync Playwright API keeps an asyncio loop marked as running
    on the main thread while it is alive, which makes Django refuse ORM calls; stopping it at the end of the
    module keeps that (and DJANGO_ALLOW_ASYNC_UNSAFE) away from every other test module.
    """
    path = require_chromium()
    missing = [name for name in VENDOR_FILES if not (VENDOR / name).is_file()]
    if missing:
        pytest.fail(
            f"Front-end assets missing in static/vendor ({', '.join(missing)}): "
            "run `.venv/bin/python scripts/fetch_assets.py`"
        )
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass
class Tab:
    """A page in its own browser context, the live server's address, and what went wrong on it."""

    page: Any
    base_url: str
    errors: list[str] = field(default_factory=list)

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.ok, f"GET {path}: {response.status if response else 'no response'}"
        return response

    def login(self, user: Any) -> None:
        """Start a session for ``user`` without the login page (the login page has its own test)."""
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME]
        self.page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session.value, "url": self.base_url}]
        )

    def assert_no_js_errors(self) -> None:
        assert not self.errors, "errors in the browser:\n" + "\n".join(self.errors)

    def _record(self, kind: str, text: str) -> None:
        self.errors.append(f"{kind}: {text}")


@pytest.fixture
def tab(browser: Any, live_server: Any) -> Iterator[Tab]:
    """A new browser context per test, in Chinese and in the district's time zone."""
    context = browser.new_context(
        locale="zh-CN",
        timezone_id=settings.TIME_ZONE,
        viewport={"width": 1400, "height": 900},
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    tab = Tab(page=page, base_url=live_server.url)
    page.on("pageerror", lambda error: tab._record("uncaught exception", str(error)))

    def on_console(message: Any) -> None:
        url = message.location.get("url", "")
        if message.type == "error" and not url.endswith(IGNORED_URL_SUFFIXES):
            tab._record("console error", f"{message.text} ({url})")

    def on_response(response: Any) -> None:
        if response.status >= 400 and not response.url.endswith(IGNORED_URL_SUFFIXES):
            tab._record(f"HTTP {response.status}", response.url)

    def on_request_failed(request: Any) -> None:
        if not request.url.endswith(IGNORED_URL_SUFFIXES):
            tab._record("request failed", f"{request.url} ({request.failure})")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("requestfailed", on_request_failed)
    try:
        yield tab
    finally:
        context.close()
