"""No acknowledged attempt is lost when the server is killed with SIGKILL mid-stream."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from pathlib import Path

import httpx
import pytest

from tests.conftest import start_server, stop_server
from tests.web.learn_fixtures import write_curriculum

pytestmark = [pytest.mark.server]
PASSWORD = "a long enough secret"
ATTEMPT = "/api/lessons/composition/checks/c1/attempts"


def _serve(tmp_path: Path):
    """A real server on the small curriculum, its database in ``tmp_path`` (kept across runs)."""
    return start_server(
        workers="1",
        curriculum_dir=str(tmp_path / "curriculum"),
        database_url=f"sqlite:///{tmp_path / 'layerwise.db'}",
        argon2_memory_kib="1024",
    )


def _kill(server) -> None:
    """SIGKILL the server and its model workers: no shutdown code runs anywhere."""
    workers = server.worker_pids()
    os.kill(server.process.pid, signal.SIGKILL)
    for pid in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    server.process.wait(10)


def test_sigkill_loses_no_acknowledged_attempt(tmp_path: Path) -> None:
    write_curriculum(tmp_path / "curriculum")
    server = _serve(tmp_path)
    acknowledged: list[int] = []
    killer = None
    client = httpx.Client(base_url=server.url, timeout=10)
    try:
        form = {
            "email": "ada@example.org",
            "display_name": "Ada",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        }
        assert client.post("/signup", data=form).status_code == 303
        for index in range(2000):
            try:
                answer = client.post(ATTEMPT, json={"response": {"choice": index % 3}})
            except httpx.TransportError:
                break  # the server is gone; whatever was in flight was never acknowledged
            assert answer.status_code == 200, answer.text
            acknowledged.append(answer.json()["attempt"])
            if len(acknowledged) == 25:  # kill while the client keeps posting
                killer = threading.Thread(target=_kill, args=(server,))
                killer.start()
        assert killer is not None, "the server was never killed"
        killer.join()
        assert server.process.returncode == -signal.SIGKILL
    finally:
        client.close()
        stop_server(server)
    assert len(acknowledged) >= 25

    restarted = _serve(tmp_path)
    again = httpx.Client(base_url=restarted.url, timeout=10, cookies=client.cookies)
    try:
        login = {"email": "ada@example.org", "password": PASSWORD}
        if again.get("/api/progress").status_code == 401:
            assert again.post("/login", data=login).status_code == 303
        for attempt_id in acknowledged:
            found = again.get(f"/api/attempts/{attempt_id}")
            assert found.status_code == 200, f"acknowledged attempt {attempt_id} was lost"
        listed = again.get("/api/progress").json()["attempts"]
        assert len(listed) >= min(len(acknowledged), 50)
    finally:
        again.close()
        stop_server(restarted)
