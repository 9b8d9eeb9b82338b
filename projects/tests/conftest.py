"""Browser fixtures for projects/tests/test_browser.py (defined in projects/tests/browser.py)."""
from __future__ import annotations

from projects.tests.browser import browser, tab

__all__ = ["browser", "tab"]
