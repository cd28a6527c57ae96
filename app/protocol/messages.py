"""Client → server control messages and server → client JSON messages of protocol v1."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Play(_Op):
    op: Literal["play"]


class Pause(_Op):
    op: Literal["pause"]


class Step(_Op):
    op: Literal["step"]
    n: int = Field(default=1, ge=1, le=10_000)


class Reset(_Op):
    op: Literal["reset"]
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)


class Configure(_Op):
    op: Literal["configure"]
    params: dict[str, Any]


class Snapshot(_Op):
    op: Literal["snapshot"]


class Probe(_Op):
    op: Literal["probe"]
    name: str = Field(min_length=1, max_length=64)
    args: dict[str, Any] = Field(default_factory=dict)


ClientMessage = Annotated[
    Play | Pause | Step | Reset | Configure | Snapshot | Probe, Field(discriminator="op")
]
OPS = ("play", "pause", "step", "reset", "configure", "snapshot", "probe")
_adapter: TypeAdapter[Any] = TypeAdapter(ClientMessage)


class ProtocolError(Exception):
    """A client message that is refused; ``code`` is machine-readable, ``message`` is for people."""

    def __init__(self, code: str, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail

    def to_message(self) -> dict[str, Any]:
        """The `error` message sent to the client."""
        return error(self.code, self.message, self.detail)


def describe_validation(exc: ValidationError) -> list[dict[str, Any]]:
    """A JSON-safe list of what failed validation: field path, reason, offending input."""
    out = []
    for err in exc.errors(include_url=False):
        item = {"loc": [str(p) for p in err["loc"]], "msg": err["msg"], "type": err["type"]}
        try:
            json.dumps(err.get("input"), allow_nan=False)  # 1e400 parses as inf
            item["input"] = err.get("input")
        except (TypeError, ValueError):
            item["input"] = repr(err.get("input"))
        out.append(item)
    return out


def _not_json(constant: str) -> float:
    """Python's json accepts NaN and ±Infinity; JSON (and every reply we send) does not."""
    raise ValueError(f"{constant} is not a JSON value")


def parse_client_message(
    text: str | bytes, max_bytes: int
) -> Play | Pause | Step | Reset | Configure | Snapshot | Probe:
    """Parse one client message or raise ProtocolError naming exactly what is wrong."""
    size = len(text.encode() if isinstance(text, str) else text)
    if size > max_bytes:
        raise ProtocolError(
            "message_too_large", f"message is {size} bytes; the limit is {max_bytes} bytes"
        )
    if isinstance(text, bytes):
        raise ProtocolError("bad_message", "control messages are JSON text, not binary")
    try:
        data = json.loads(text, parse_constant=_not_json)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        raise ProtocolError("bad_json", f"message is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ProtocolError("bad_message", "a message must be a JSON object with an 'op' field")
    op = data.get("op")
    if op not in OPS:
        raise ProtocolError(
            "unknown_op", f"unknown op {op!r}; expected one of {', '.join(OPS)}", {"op": op}
        )
    try:
        return _adapter.validate_python(data)
    except ValidationError as exc:
        raise ProtocolError(
            "bad_message", f"invalid '{op}' message", describe_validation(exc)
        ) from None


def hello(**fields: Any) -> dict[str, Any]:
    """The first message of every connection."""
    return {"type": "hello", "protocol": 1, **fields}


def status(state: str, **fields: Any) -> dict[str, Any]:
    """A run state change: running, paused, queued (with position) or released."""
    return {"type": "status", "state": state, **fields}


def error(code: str, message: str, detail: Any = None) -> dict[str, Any]:
    """A refused message or setting; the run goes on."""
    return {"type": "error", "code": code, "message": message, "detail": detail}
