"""The JSON API of a real server: health, labs and the exports of a live run."""

from __future__ import annotations

import io

import httpx
import numpy as np
import pytest
import torch

from app.labs.two_moons import TwoMoonsParams
from tests.conftest import Server
from tests.live.wsclient import open_client, run

pytestmark = pytest.mark.server
DEFAULTS = TwoMoonsParams().model_dump()


def test_get_healthz(server: Server) -> None:
    response = httpx.get(server.url + "/healthz", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "ok"
    assert {"active", "queued", "runs", "detached"} <= set(body)


def test_list_labs_two_moons(server: Server) -> None:
    response = httpx.get(server.url + "/api/labs", timeout=10)
    assert response.status_code == 200
    labs = {lab["id"]: lab for lab in response.json()}
    lab = labs["two-moons"]
    schema = lab["params"]
    assert schema["type"] == "object"
    assert set(schema["properties"]) == set(DEFAULTS)
    assert schema["properties"]["noise"]["maximum"] == 0.5
    assert lab["defaults"] == DEFAULTS
    assert httpx.get(server.url + "/api/labs/two-moons", timeout=10).json() == lab
    assert httpx.get(server.url + "/api/labs/nope", timeout=10).status_code == 404


def test_download_weights_and_script(server: Server) -> None:
    async def scenario() -> tuple:
        async with open_client(server.ws_url) as client:
            hello, _ = await client.ready()
            await client.step(3)
            await client.send("snapshot")
            snapshot, _ = await client.expect("snapshot")
            async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
                weights = await http.get(f"/api/runs/{hello['run']}/weights.pt")
                script = await http.get(f"/api/runs/{hello['run']}/script.py")
                missing = await http.get("/api/runs/nope/weights.pt")
            return snapshot, weights, script, missing

    snapshot, weights, script, missing = run(scenario())
    assert weights.status_code == 200
    assert "attachment" in weights.headers["content-disposition"]
    state = torch.load(io.BytesIO(weights.content), weights_only=True)
    assert set(state) == set(snapshot.arrays)
    for name, value in state.items():
        np.testing.assert_array_equal(value.numpy(), snapshot.arrays[name].data)
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/x-python")
    compile(script.text, "layerwise-two-moons.py", "exec")
    assert missing.status_code == 404
