"""Browser tests wait longer than Playwright's 5 s default: the machine may be busy."""

from __future__ import annotations

from playwright.sync_api import expect

expect.set_options(timeout=15_000)
