"""The web tests' own server, and longer waits: the machine may be busy.

The web tests get a server of their own, whose closed runs are dropped after 10 s instead of
2 minutes: each page holds an admission place while its run waits for a reload, and the
shared server, already holding the runs of the websocket tests, would start queueing pages.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import ConsoleMessage, Error, Page, expect

from tests.conftest import Server, start_server, stop_server

expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """A real server process for the page tests; closed runs are dropped after 10 s."""
    running = start_server(detached_grace_s="10")
    yield running
    stop_server(running)


def watch(page: Page, problems: list[str]) -> Page:
    """Record ``page``'s console errors and uncaught exceptions into ``problems``."""

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text}")

    def on_page_error(error: Error) -> None:
        problems.append(f"pageerror: {error}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.set_default_timeout(15_000)
    return page


@pytest.fixture
def watched_page(page: Page) -> Iterator[Page]:
    """A Playwright page that fails the test on any console error or uncaught exception."""
    problems: list[str] = []
    yield watch(page, problems)
    assert problems == []
