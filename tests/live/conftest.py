"""Fixtures of the runtime tests: servers started with their own LAYERWISE_* settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import Server, start_server, stop_server


@pytest.fixture(scope="module")
def tight_server() -> Iterator[Server]:
    """One worker, room for one active and one queued run; closed or paused runs go in 1 s."""
    server = start_server(
        workers="1",
        max_active_runs="1",
        max_queued_runs="1",
        detached_grace_s="1",
        paused_idle_s="1",
    )
    yield server
    stop_server(server)


def _tracebacks(server: Server) -> tuple[int, str]:
    log = (server.data_dir / "server.log").read_text(errors="replace")
    return log.count("Traceback"), log


@pytest.fixture(autouse=True)
def server_log_stays_clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test after which a server it used logged an unhandled exception."""
    names = [n for n in ("server", "tight_server") if n in request.fixturenames]
    servers = [request.getfixturevalue(name) for name in names]
    before = [_tracebacks(s)[0] for s in servers]
    yield
    for server, count in zip(servers, before):
        now, log = _tracebacks(server)
        assert now == count, log[-3000:]
