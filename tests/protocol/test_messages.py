"""Client control messages: each op parses, and each kind of bad message gets its own code."""

from __future__ import annotations

import json

import pytest

from app.protocol.messages import (
    OPS,
    Configure,
    Pause,
    Play,
    Probe,
    ProtocolError,
    Reset,
    Snapshot,
    Step,
    error,
    hello,
    parse_client_message,
    status,
)

LIMIT = 64 * 1024


@pytest.mark.parametrize(
    ("text", "kind", "fields"),
    [
        ('{"op": "play"}', Play, {}),
        ('{"op": "pause"}', Pause, {}),
        ('{"op": "step"}', Step, {"n": 1}),
        ('{"op": "step", "n": 250}', Step, {"n": 250}),
        ('{"op": "reset"}', Reset, {"seed": None}),
        ('{"op": "reset", "seed": 42}', Reset, {"seed": 42}),
        ('{"op": "configure", "params": {"noise": 0.1}}', Configure, {"params": {"noise": 0.1}}),
        ('{"op": "snapshot"}', Snapshot, {}),
        (
            '{"op": "probe", "name": "predict", "args": {"points": [[0, 1]]}}',
            Probe,
            {"name": "predict", "args": {"points": [[0, 1]]}},
        ),
        ('{"op": "probe", "name": "predict"}', Probe, {"name": "predict", "args": {}}),
    ],
)
def test_parse_client_message_each_op(text: str, kind: type, fields: dict) -> None:
    message = parse_client_message(text, LIMIT)
    assert isinstance(message, kind)
    for name, value in fields.items():
        assert getattr(message, name) == value


def test_parse_client_message_covers_every_op() -> None:
    assert set(OPS) == {"play", "pause", "step", "reset", "configure", "snapshot", "probe"}


def _code(text: str | bytes, limit: int = LIMIT) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        parse_client_message(text, limit)
    return caught.value


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "{",
        '{"op": "play"',
        "",
        "{'op': 'play'}",
        '{"op": "reset", "seed": NaN}',
        '{"op": "configure", "params": {"noise": Infinity}}',
        '{"op": "configure", "params": {"noise": -Infinity}}',
    ],
)
def test_parse_client_message_bad_json(text: str) -> None:
    exc = _code(text)
    assert exc.code == "bad_json"
    assert "JSON" in exc.message


@pytest.mark.parametrize(
    "text",
    [
        "[1, 2]",
        '"play"',
        "3",
        "null",
        '{"op": "step", "n": 0}',
        '{"op": "step", "n": 10001}',
        '{"op": "step", "n": "3"}',
        '{"op": "step", "n": 1.5}',
        '{"op": "reset", "seed": -1}',
        '{"op": "reset", "seed": 2147483648}',
        '{"op": "configure"}',
        '{"op": "configure", "params": [1]}',
        '{"op": "play", "extra": 1}',
        '{"op": "probe", "name": ""}',
        '{"op": "probe", "name": "predict", "args": 3}',
    ],
)
def test_parse_client_message_bad_message(text: str) -> None:
    exc = _code(text)
    assert exc.code == "bad_message"
    assert exc.message


def test_parse_client_message_bad_message_detail_names_field() -> None:
    exc = _code('{"op": "step", "n": 0}')
    assert exc.detail[0]["loc"] == ["step", "n"]
    assert exc.detail[0]["input"] == 0
    json.dumps(exc.to_message())  # the error travels as JSON


@pytest.mark.parametrize("text", ["[" * 30_000 + "]" * 30_000, '{"op": ' + "[" * 20_000])
def test_parse_client_message_deep_nesting_bad_json(text: str) -> None:
    assert _code(text).code == "bad_json"


@pytest.mark.parametrize("text", ['{"op": "step", "n": 1e400}', '{"op": "reset", "seed": -1e400}'])
def test_parse_client_message_overflowing_number_answer_is_json(text: str) -> None:
    exc = _code(text)
    assert exc.code == "bad_message"
    json.dumps(exc.to_message(), allow_nan=False)  # the error itself can be sent


def test_parse_client_message_binary_is_bad_message() -> None:
    assert _code(b'{"op": "play"}').code == "bad_message"


@pytest.mark.parametrize("text", ['{"op": "jump"}', "{}", '{"op": null}', '{"op": 3}'])
def test_parse_client_message_unknown_op(text: str) -> None:
    exc = _code(text)
    assert exc.code == "unknown_op"
    assert "play" in exc.message


def test_parse_client_message_too_large() -> None:
    padding = "x" * LIMIT
    exc = _code(json.dumps({"op": "play", "pad": padding}))
    assert exc.code == "message_too_large"
    assert str(LIMIT) in exc.message
    # The limit counts UTF-8 bytes, not characters.
    exc = _code('{"op": "play", "p": "' + "é" * 600 + '"}', limit=1024)
    assert exc.code == "message_too_large"
    assert _code(b"\0" * (LIMIT + 1)).code == "message_too_large"


def test_parse_client_message_at_limit_accepted() -> None:
    text = '{"op": "play"}'
    assert isinstance(parse_client_message(text, len(text)), Play)


def test_build_server_messages() -> None:
    assert hello(lab="two-moons", run="r") == {
        "type": "hello",
        "protocol": 1,
        "lab": "two-moons",
        "run": "r",
    }
    assert status("queued", position=2) == {"type": "status", "state": "queued", "position": 2}
    assert error("running", "pause first") == {
        "type": "error",
        "code": "running",
        "message": "pause first",
        "detail": None,
    }
