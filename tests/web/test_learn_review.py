"""Mixed review with a frozen clock: who is due, mastery after 12 hours, nothing re-locks."""

from __future__ import annotations

import time
from datetime import timedelta

import numpy as np
import pytest

from app.curriculum.generators import generate
from app.labs.registry import LABS
from app.live.runtime import Run
from app.protocol.codec import Array, encode
from tests.web.learn_fixtures import LearnApp, issued_seed, make_learn_app, seed_keys

RIGHT = {"c1": {"choice": 1}, "c2": {"value": 3.0}}


@pytest.fixture
def site(tmp_path) -> LearnApp:
    """A fresh app per test: these tests move its clock."""
    return make_learn_app(tmp_path)


def _proficient(site: LearnApp, client) -> None:
    """Answer all four composition checks right (the lab one from a run placed by hand)."""
    for check, response in RIGHT.items():
        client.post(
            f"/api/lessons/composition/checks/{check}/attempts", json={"response": response}
        )
    shown = client.get("/api/lessons/composition/checks/c3").json()
    values = generate(
        "relu-forward", issued_seed(site.app.state.sessionmaker, shown["variant"])
    ).answer
    client.post(
        "/api/lessons/composition/checks/c3/attempts",
        json={"variant": shown["variant"], "response": {"values": values}},
    )
    lab = LABS["two-moons"]
    run = Run(id=f"run-{client.user_id}", lab=lab, params=lab.Params())
    run.owner_id = client.user_id
    frame = [Array("boundary", np.zeros((2, 2), dtype=np.float32))]
    run.observe(encode("frame", 800, time.monotonic(), frame, {"test_acc": 0.97}))
    site.app.state.runtime.runs[run.id] = run
    result = client.post("/api/lessons/composition/checks/c4/attempts", json={"run": run.id})
    assert result.json()["level"] == {"composition": "proficient"}


def _answers(site: LearnApp, items: list[dict], right: bool = True) -> dict[str, dict]:
    answers = {}
    for item in items:
        if item["kind"] == "generated":
            seed = issued_seed(site.app.state.sessionmaker, item["variant"])
            values = dict(generate("relu-forward", seed).answer)
            if not right:
                values = {k: v + 10 for k, v in values.items()}
            answers[str(item["variant"])] = {"values": values}
        elif item["kind"] == "choice":
            answers[str(item["variant"])] = {"choice": 1 if right else 0}
        else:
            answers[str(item["variant"])] = {"value": 3.0 if right else -1.0}
    return answers


def test_nothing_due_gives_an_empty_review(site) -> None:
    client = site.client("ada@example.org")
    review = client.get("/api/review").json()
    assert review == {"batch": None, "items": [], "next_due": None}


def test_review_twelve_hours_after_proficient_makes_mastered(site) -> None:
    client = site.client("ada@example.org")
    _proficient(site, client)
    site.clock.at += timedelta(hours=11)
    assert client.get("/api/review").json()["items"] == []  # not ripe, not due
    site.clock.at += timedelta(hours=1)
    assert 'data-due="composition"' in client.get("/map").text  # ripe for a mastery review
    review = client.get("/api/review").json()
    assert len(review["items"]) == 2
    assert {item["concept"]["id"] for item in review["items"]} == {"composition"}
    assert all("answer" not in item for item in review["items"])
    result = client.post(
        "/api/review", json={"batch": review["batch"], "answers": _answers(site, review["items"])}
    ).json()
    assert result["passed"] and result["score"] == 1.0
    assert result["concepts"][0]["level"] == "mastered"
    page = client.get("/map").text
    assert 'data-concept="composition" data-state="mastered"' in page
    again = client.post(
        "/api/review", json={"batch": review["batch"], "answers": _answers(site, review["items"])}
    )
    assert again.status_code == 409  # a batch is answered once


def test_failed_review_keeps_level_and_unlocks(site) -> None:
    client = site.client("ada@example.org")
    _proficient(site, client)
    site.clock.at += timedelta(days=5)  # due two days after the lesson, now overdue
    page = client.get("/map").text
    assert 'data-concept="composition" data-state="review_due"' in page
    assert 'data-concept="softmax-ce" data-state="open"' in page  # due review: still open
    review = client.get("/api/review").json()
    answers = _answers(site, review["items"], right=False)
    result = client.post("/api/review", json={"batch": review["batch"], "answers": answers}).json()
    assert not result["passed"] and result["concepts"][0]["level"] == "proficient"
    assert client.get("/lessons/softmax").status_code == 200
    progress = client.get("/api/progress").json()
    assert progress["attempts"][0]["review"] is True


def test_review_must_answer_every_item_of_its_own_batch(site) -> None:
    ada = site.client("ada@example.org")
    _proficient(site, ada)
    site.clock.at += timedelta(hours=12)
    review = ada.get("/api/review").json()
    answers = _answers(site, review["items"])
    first = next(iter(answers))
    partial = {k: v for k, v in answers.items() if k != first}
    short = ada.post("/api/review", json={"batch": review["batch"], "answers": partial})
    assert short.status_code == 422 and "missing" in short.json()["detail"]
    bob = site.client("bob@example.org")
    foreign = bob.post("/api/review", json={"batch": review["batch"], "answers": answers})
    assert foreign.status_code == 409
    assert ada.post("/api/review", json={"batch": review["batch"], "answers": answers}).json()[
        "passed"
    ]


def test_review_page_needs_an_account(site) -> None:
    assert site.client().get("/api/review").status_code == 401
    post = site.client().post("/api/review", json={"batch": "x", "answers": {}})
    assert post.status_code == 401


def test_review_never_sends_the_seed(site) -> None:
    """The generators are public: a seed in the browser would give a variant's answer away."""
    client = site.client("ada@example.org")
    _proficient(site, client)
    site.clock.at += timedelta(hours=12)
    kinds = set()
    for _ in range(20):  # two of the three reviewable checks each draw: soon a generated one
        response = client.get("/api/review")
        review = response.json()
        assert review["items"] and seed_keys(review) == [] and '"seed"' not in response.text
        kinds |= {item["kind"] for item in review["items"]}
        if "generated" in kinds:
            break
    assert "generated" in kinds
