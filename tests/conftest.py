"""Shared fixtures: a real server process on loopback and Debian's Chromium for Playwright."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.server import Server, start, stop

CHROMIUM = "/usr/bin/chromium"

pytest_plugins = ["tests.dbtools"]

__all__ = ["Server", "start_server", "stop_server"]


def start_server(**env: str) -> Server:
    """A real `python -m app serve` on a free loopback port, ready (/healthz 200).

    ``env`` holds LAYERWISE_* overrides without the prefix, e.g. ``max_active_runs="1"``.
    """
    return start({"workers": "2", **env})


def stop_server(server: Server) -> None:
    """Terminate the server, wait for it and remove its data directory."""
    stop(server)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """One real server process shared by the tests of a session.

    Closed runs are kept 10 s (not 2 minutes): long enough to reattach, short enough that the
    many runs the suite opens one after another never fill the admission limit.
    """
    running = start_server(detached_grace_s="10")
    yield running
    stop_server(running)


@pytest.fixture(scope="session")
def base_url(server: Server) -> str:
    """Playwright's base URL: the shared server (overrides pytest-playwright's own fixture)."""
    return server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Launch Debian's Chromium (Playwright's own download is not available offline)."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }
