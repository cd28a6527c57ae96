"""Lab challenges are graded from the server's own record of the learner's run."""

from __future__ import annotations

import time

import numpy as np
import pytest

from app.labs.registry import LABS
from app.live.runtime import Run
from app.protocol.codec import Array, encode
from tests.web.learn_fixtures import LearnApp, make_learn_app

LAB = LABS["two-moons"]
PATH = "/api/lessons/composition/checks/c4/attempts"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> LearnApp:
    """The app on the small curriculum (its runtime is not started: runs are placed by hand)."""
    return make_learn_app(tmp_path_factory.mktemp("learn-lab"))


def _frame(step: int, **metrics: float) -> bytes:
    """An LWF1 frame as a worker encodes it, with an array so the header is a real one."""
    grid = Array("boundary", np.zeros((4, 4), dtype=np.float32))
    return encode("frame", step, time.monotonic(), [grid], metrics)


def _run(site: LearnApp, owner: int | None, params: dict, step: int, **metrics: float) -> Run:
    run = Run(id=f"run-{len(site.app.state.runtime.runs)}", lab=LAB, params=LAB.validate(params))
    run.owner_id = owner
    run.observe(_frame(step, **metrics))
    site.app.state.runtime.runs[run.id] = run
    return run


def test_observe_keeps_the_latest_frames_step_metrics_and_params() -> None:
    run = Run(id="r", lab=LAB, params=LAB.validate({"hidden": [3]}))
    assert run.latest is None
    run.observe(_frame(10, loss=0.5, test_acc=0.8))
    run.params = LAB.validate({"hidden": [5, 5]})
    run.observe(_frame(25, loss=0.25, test_acc=0.97))
    assert run.latest["lab"] == "two-moons"
    assert run.latest["step"] == 25
    assert run.latest["metrics"] == {"loss": 0.25, "test_acc": pytest.approx(0.97)}
    assert run.latest["params"]["hidden"] == [5, 5]


def test_lab_challenge_met_by_your_run(site) -> None:
    client = site.client("ada@example.org")
    run = _run(site, client.user_id, {"hidden": [4, 4]}, 900, test_acc=0.96, loss=0.1)
    answer = client.post(PATH, json={"run": run.id})
    assert answer.status_code == 200
    body = answer.json()
    assert body["correct"] and body["score"] == 1.0
    assert "step 900" in body["feedback"]


def test_lab_challenge_not_met_names_what_is_missing(site) -> None:
    client = site.client("ada@example.org")
    run = _run(site, client.user_id, {"hidden": [4, 4, 4]}, 900, test_acc=0.93)
    body = client.post(PATH, json={"run": run.id}).json()
    assert not body["correct"] and body["score"] == 0.0
    assert "hidden has 3 entries" in body["feedback"]
    assert "0.93" in body["feedback"] or "93" in body["feedback"]


def test_lab_challenge_ignores_metrics_the_browser_sends(site) -> None:
    client = site.client("ada@example.org")
    run = _run(site, client.user_id, {"hidden": [4, 4]}, 50, test_acc=0.6)
    forged = client.post(PATH, json={"run": run.id, "metrics": {"test_acc": 1.0}})
    assert forged.status_code == 422  # unknown fields are refused outright
    body = client.post(PATH, json={"run": run.id, "response": {"test_acc": 1.0}}).json()
    assert not body["correct"]  # the server's own 0.6 is what counts


def test_lab_challenge_refuses_someone_elses_run(site) -> None:
    ada = site.client("ada@example.org")
    bob = site.client("bob@example.org")
    run = _run(site, ada.user_id, {"hidden": [4, 4]}, 900, test_acc=0.99)
    answer = bob.post(PATH, json={"run": run.id})
    assert answer.status_code == 404
    assert "of yours" in answer.json()["detail"]


def test_lab_challenge_refuses_an_anonymous_run(site) -> None:
    client = site.client("ada@example.org")
    run = _run(site, None, {"hidden": [4, 4]}, 900, test_acc=0.99)
    assert client.post(PATH, json={"run": run.id}).status_code == 404


def test_lab_challenge_needs_a_live_run_with_a_frame(site) -> None:
    client = site.client("ada@example.org")
    assert client.post(PATH, json={"run": "no-such-run"}).status_code == 404
    missing = client.post(PATH, json={})
    assert missing.status_code == 422 and "'run'" in missing.json()["detail"]
    run = Run(id="fresh", lab=LAB, params=LAB.Params())
    run.owner_id = client.user_id
    site.app.state.runtime.runs[run.id] = run
    waiting = client.post(PATH, json={"run": run.id})
    assert waiting.status_code == 409 and "no frame yet" in waiting.json()["detail"]


def test_lab_challenge_of_another_lab_is_not_met(site) -> None:
    client = site.client("ada@example.org")
    cnn = LABS["cnn"]
    run = Run(id="cnn-run", lab=cnn, params=cnn.Params())
    run.owner_id = client.user_id
    run.observe(_frame(100, test_acc=0.99))
    site.app.state.runtime.runs[run.id] = run
    body = client.post(PATH, json={"run": run.id}).json()
    assert not body["correct"] and "cnn" in body["feedback"]


def test_lab_attempt_records_what_the_server_saw(site) -> None:
    from app.db.progress import Attempt

    client = site.client("ada@example.org")
    run = _run(site, client.user_id, {"hidden": [4, 4]}, 700, test_acc=0.97)
    attempt_id = client.post(PATH, json={"run": run.id}).json()["attempt"]
    with site.app.state.sessionmaker() as db:
        attempt = db.get(Attempt, attempt_id)
        assert attempt.run_id == run.id and attempt.kind == "lab"
        assert attempt.response["state"]["step"] == 700
        assert attempt.response["state"]["metrics"]["test_acc"] == pytest.approx(0.97)
