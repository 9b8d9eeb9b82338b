"""A bulletin generated through the page by the worker running as its own process, as in production.

The site (runserver) and the worker (`manage.py db_worker`) are two processes on one file-backed
SQLite database with the demo district. The office asks for a regeneration in Chromium; with no
worker the page shows the bulletin queued (the web process does not do the work itself); once the
worker is started, the page's progress poll turns into the download links of the new files.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from projects.tests.browser import CHROMIUM_ARGS, require_chromium

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "diaodu-demo-2026"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _shell(env: dict[str, str], code: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v0", "-c", code], cwd=ROOT, env=env, check=True,
        capture_output=True, text=True, timeout=120,
    )
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    require_chromium()
    folder = tmp_path_factory.mktemp("worker-site")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DIAODU_") and k != "DATABASE_URL"},
        "DJANGO_SETTINGS_MODULE": "diaodu.settings",
        "DIAODU_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "DIAODU_MEDIA_ROOT": str(folder / "media"),
    }
    for command in (["migrate", "--noinput", "-v0"], ["load_demo"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=300)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/login/", timeout=2)  # noqa: S310 - our own server on loopback
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("the site did not start")
            time.sleep(0.3)
    workers: list[subprocess.Popen[bytes]] = []

    def start_worker() -> None:
        workers.append(subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay", "--no-reload"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))

    try:
        yield {"base": base, "env": env, "start_worker": start_worker}
    finally:
        for process in [server, *workers]:
            if process.poll() is None:
                process.kill()
            process.wait(10)


def test_the_worker_process_generates_the_bulletin_the_office_asks_for(site: dict[str, Any]) -> None:
    from playwright.sync_api import sync_playwright

    env = site["env"]
    period = _shell(env, "from core.models import Period; print(Period.objects.filter(state='published').first().pk)")
    bulletin = f"from dispatch.models import Bulletin; b = Bulletin.objects.get(period_id={period}); "
    old_docx = _shell(env, bulletin + "print(b.docx.name)")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS)
            page = chromium.new_page(viewport={"width": 1280, "height": 900})
            page.on("dialog", lambda dialog: dialog.accept())
            page.goto(site["base"] + "/login/")
            page.fill("input[name=username]", "office")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("load")
            page.goto(f"{site['base']}/dispatch/periods/{period}/bulletin/")
            page.click("text=重新生成")
            page.wait_for_load_state("load")
            # No worker yet: queued, with the previous files still offered while the page polls.
            status = page.locator("#bulletin-status")
            assert "排队中" in status.inner_text()
            assert "此前生成的文件" in status.inner_text()
            page.wait_for_timeout(1500)
            assert "排队中" in page.locator("#bulletin-status").inner_text()
            site["start_worker"]()
            page.wait_for_function(
                "() => document.querySelector('#bulletin-status').innerText.includes('生成于')", timeout=60000
            )
            text = page.locator("#bulletin-status").inner_text()
            assert "下载 Word 通报" in text and "此前生成的文件" not in text
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
    state = _shell(env, bulletin + "print(b.state, b.docx.name)")
    done, new_docx = state.split()
    assert done == "done" and new_docx != old_docx
