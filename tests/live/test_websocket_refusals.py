"""Bad input over a real websocket: an error with its code, and the run (and others') goes on."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import pytest

from tests.conftest import Server
from tests.live.wsclient import Client, kind, open_client, run

pytestmark = pytest.mark.server


# -- bad input: an error, and the run (and everyone else's) goes on ----------------------------


async def _refused_then_goes_on(
    server: Server, send_bad: Callable[[Client], Awaitable[None]]
) -> dict:
    """Send something bad on one socket; return the error after checking nothing broke."""
    async with open_client(server.ws_url) as client, open_client(server.ws_url) as other:
        hello, _ = await client.ready()
        await other.ready()
        await client.step(2)
        await send_bad(client)
        error, skipped = await client.expect(lambda m: kind(m).startswith("error"))
        assert [kind(m) for m in skipped] == []
        assert isinstance(error["message"], str)
        assert error["message"]
        assert (await client.step(1)).step == 3
        await client.send("play")
        await client.expect("frame")
        await client.send("pause")
        status, _ = await client.expect("status:paused")
        assert status["params"] == hello["params"]  # nothing refused was applied
        assert (await other.step(2)).step == 2
        return error


def test_refuse_not_json(server: Server) -> None:
    error = run(_refused_then_goes_on(server, lambda c: c.ws.send("{op: play")))
    assert error["code"] == "bad_json"
    assert "JSON" in error["message"]


def test_refuse_unknown_op(server: Server) -> None:
    error = run(_refused_then_goes_on(server, lambda c: c.send("rewind")))
    assert error["code"] == "unknown_op"
    assert "rewind" in error["message"]
    assert error["detail"] == {"op": "rewind"}


def test_refuse_param_wrong_type(server: Server) -> None:
    error = run(
        _refused_then_goes_on(server, lambda c: c.send("configure", params={"hidden": "4,4"}))
    )
    assert error["code"] == "invalid_params"
    assert "hidden" in error["message"]
    assert [d["param"] for d in error["detail"]] == ["hidden"]


def test_refuse_param_out_of_range(server: Server) -> None:
    error = run(
        _refused_then_goes_on(server, lambda c: c.send("configure", params={"noise": 0.75}))
    )
    assert error["code"] == "invalid_params"
    assert "noise" in error["message"]
    assert [d["param"] for d in error["detail"]] == ["noise"]


def test_refuse_over_budget(server: Server) -> None:
    error = run(
        _refused_then_goes_on(
            server, lambda c: c.send("configure", params={"fps": 60, "steps_per_frame": 200})
        )
    )
    assert error["code"] == "over_budget"
    assert "steps/s" in error["message"]
    assert error["detail"]["steps_per_s"] == 12_000


def test_refuse_message_too_large(server: Server) -> None:
    big = json.dumps({"op": "probe", "name": "predict", "args": {"pad": "x" * (64 * 1024)}})
    error = run(_refused_then_goes_on(server, lambda c: c.ws.send(big)))
    assert error["code"] == "message_too_large"
    assert "65536" in error["message"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ('{"op": "reset", "seed": NaN}', "bad_json"),
        ('{"op": "step", "n": 1e400}', "bad_message"),  # parses as inf, echoed in detail
        ("[" * 20_000 + "]" * 20_000, "bad_json"),
    ],
)
def test_refuse_hostile_json(server: Server, text: str, code: str) -> None:
    error = run(_refused_then_goes_on(server, lambda c: c.ws.send(text)))
    assert error["code"] == code


def test_refuse_binary_message(server: Server) -> None:
    error = run(_refused_then_goes_on(server, lambda c: c.ws.send(b'{"op": "play"}')))
    assert error["code"] == "bad_message"


def test_refuse_bad_probe(server: Server) -> None:
    error = run(_refused_then_goes_on(server, lambda c: c.send("probe", name="predict", args={})))
    assert error["code"] == "bad_probe"
    error = run(_refused_then_goes_on(server, lambda c: c.send("probe", name="x-ray")))
    assert error["code"] == "unknown_probe"


def test_refuse_step_over_budget(server: Server) -> None:
    async def step_too_many(client: Client) -> None:
        await client.send("step", n=10_000)

    error = run(_refused_then_goes_on(server, step_too_many))
    assert error["code"] == "over_budget"
    assert "10000 steps" in error["message"]
    assert error["detail"]["max_n"] < 10_000
