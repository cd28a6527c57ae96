"""The websocket endpoint: one run per connection (protocol v1, docs/protocol.md)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket
from starlette.concurrency import run_in_threadpool

from app.config import Settings
from app.labs.base import LabError
from app.labs.registry import LABS
from app.live.session import Session
from app.protocol.messages import error
from app.web.auth_deps import websocket_user
from app.web.deps import get_runtime

router = APIRouter()


def origin_allowed(origin: str | None, host: str | None, settings: Settings) -> bool:
    """A browser's Origin must name this app's own host (or one the operator allowed).

    Clients that send no Origin (scripts, not browsers) are let through: cross-site
    websocket hijacking needs a browser, and browsers always send it.
    """
    if origin is None:
        return True
    netloc = urlsplit(origin).netloc.lower()
    allowed = {o.lower() for o in settings.allowed_origins}
    return bool(netloc) and (netloc == (host or "").lower() or origin.lower() in allowed)


@router.websocket("/ws/labs/{lab_id}")
async def lab_socket(websocket: WebSocket, lab_id: str) -> None:
    """Serve one lab run over this websocket."""
    settings: Settings = websocket.app.state.settings
    runtime = get_runtime(websocket)  # type: ignore[arg-type]
    origin = websocket.headers.get("origin")
    if not origin_allowed(origin, websocket.headers.get("host"), settings):
        await websocket.close(code=1008, reason="origin not allowed")
        return
    await websocket.accept()
    lab = LABS.get(lab_id)
    if lab is None or not runtime.ready:
        reason = f"no lab {lab_id!r}" if lab is None else "the server is starting"
        await websocket.send_text(json.dumps(error("unknown_lab", reason)))
        await websocket.close(code=1008 if lab is None else 1013)
        return
    user = await run_in_threadpool(websocket_user, websocket)
    owner_id = user.id if user is not None else None
    notices = []
    run = None
    if run_id := websocket.query_params.get("run"):
        # Someone else's run is never taken over; an anonymous one becomes the user's.
        existing = runtime.runs.get(run_id)
        if existing is not None and existing.owner_id in (None, owner_id):
            run = runtime.attach(run_id, lab)
            if run is not None and run.owner_id is None:
                run.owner_id = owner_id
    reattached = run is not None
    if run is None:
        params = lab.Params()
        if raw := websocket.query_params.get("params"):
            try:
                wanted = json.loads(raw)
                if not isinstance(wanted, dict):
                    raise LabError("invalid_params", "the params query must be a JSON object")
                params = lab.validate(wanted)
            except (ValueError, RecursionError) as exc:  # RecursionError: absurd nesting
                notices.append(error("invalid_params", f"params query is not JSON: {exc}"))
            except LabError as exc:
                notices.append(error(exc.code, exc.message + "; using the defaults", exc.detail))
        run = runtime.new_run(lab, params, owner_id=owner_id)
    await Session(runtime, websocket, run, reattached).serve(notices)
