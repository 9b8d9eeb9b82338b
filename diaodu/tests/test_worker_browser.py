"""A bulletin generated through the page by the worker running as its own process, as in production.

The site (runserver, ``demo_site`` in this folder's conftest.py) and the worker (`manage.py db_worker`)
are two processes on one file-backed SQLite database with the demo district. The office asks for a
regeneration in Chromium; with no worker the page shows the bulletin queued (the web process does not
do the work itself); once the worker is started, the page's progress poll turns into the download
links of the new files.
"""
from __future__ import annotations

from typing import Any

import pytest

from diaodu.tests.conftest import DemoSite
from projects.tests.browser import browser as browser

pytestmark = pytest.mark.browser

PASSWORD = "diaodu-demo-2026"
WORKER = ("db_worker", "--interval", "0.2", "--no-startup-delay", "--no-reload")


def test_the_worker_process_generates_the_bulletin_the_office_asks_for(browser: Any, demo_site: DemoSite) -> None:
    period = demo_site.shell(
        "from core.models import Period; print(Period.objects.filter(state='published').first().pk)"
    )
    bulletin = f"from dispatch.models import Bulletin; b = Bulletin.objects.get(period_id={period}); "
    old_docx = demo_site.shell(bulletin + "print(b.docx.name)")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(demo_site.base + "/login/")
    page.fill("input[name=username]", "office")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    page.goto(f"{demo_site.base}/dispatch/periods/{period}/bulletin/")
    page.click("text=重新生成")
    page.wait_for_load_state("load")
    # No worker yet: queued, with the previous files still offered while the page polls.
    status = page.locator("#bulletin-status")
    assert "排队中" in status.inner_text()
    assert "此前生成的文件" in status.inner_text()
    page.wait_for_timeout(1500)
    assert "排队中" in page.locator("#bulletin-status").inner_text()
    demo_site.start(*WORKER)
    page.wait_for_function(
        "() => document.querySelector('#bulletin-status').innerText.includes('生成于')", timeout=60000
    )
    text = page.locator("#bulletin-status").inner_text()
    assert "下载 Word 通报" in text and "此前生成的文件" not in text
    context.close()
    state = demo_site.shell(bulletin + "print(b.state, b.docx.name)")
    done, new_docx = state.split()
    assert done == "done" and new_docx != old_docx
