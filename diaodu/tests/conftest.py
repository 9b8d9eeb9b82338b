"""Fixtures for the tests of the site as a whole.

``demo_site``: the demo district served by its own process (``manage.py runserver``, DEBUG) on a
file-backed SQLite database loaded by ``manage.py load_demo``, as people try it out, for browser
tests that need the site as it runs outside pytest. Not conftest's ``demo_district``: pytest's live
server makes a test transactional, and the flush after an earlier transactional test has emptied
the tables the migrations seeded (the milestone templates the demo schedules from); nor can a
second process, such as the worker, see a test's database.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from projects.tests.browser import require_chromium

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60
LEFT_OUT = ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")


@dataclass
class DemoSite:
    """A running demo site: its address, and the environment that points a ``manage.py`` at its database."""

    base: str
    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def shell(self, code: str) -> str:
        """The last line ``code`` prints, run by ``manage.py shell`` on the site's database."""
        done = subprocess.run(
            [sys.executable, "manage.py", "shell", "-v0", "-c", code], cwd=ROOT, env=self.env, check=True,
            capture_output=True, text=True, timeout=120,
        )
        return done.stdout.strip().splitlines()[-1]

    def start(self, *command: str) -> subprocess.Popen[bytes]:
        """Start another ``manage.py`` process (the worker …) on the site's database; stopped with the site."""
        process = subprocess.Popen(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def demo_site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    """The demo district served by runserver, a fresh one for each test module that asks for it."""
    # Only browser tests use it: without Chromium they skip before the minute it takes to build.
    require_chromium()
    folder = tmp_path_factory.mktemp(f"{request.module.__name__.rpartition('.')[2]}-site")
    # The site runs as deployed: none of the test run's settings, nor the async exemption the
    # browser fixture gives this process.
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DIAODU_") and k not in LEFT_OUT},
        "DJANGO_SETTINGS_MODULE": "diaodu.settings",
        "DIAODU_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "DIAODU_MEDIA_ROOT": str(folder / "media"),
    }
    for command in (["migrate", "--noinput", "-v0"], ["load_demo"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=300)
    port = _free_port()
    site = DemoSite(base=f"http://127.0.0.1:{port}", env=env)
    server = site.start("runserver", f"127.0.0.1:{port}", "--noreload")
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                urllib.request.urlopen(site.base + "/login/", timeout=2)  # noqa: S310 - our own server on loopback
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("the site did not start")
                time.sleep(0.3)
        yield site
    finally:
        site.stop()
