"""JSON API: health, the labs, and the exports of a live run."""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from app.labs.base import LabError
from app.labs.registry import LABS, describe
from app.live.pool import WorkerError
from app.web.deps import LabDep, RuntimeDep

router = APIRouter()


@router.get("/healthz")
async def healthz(runtime: RuntimeDep) -> JSONResponse:
    """200 once the worker processes answer, 503 before."""
    if not runtime.ready:
        return JSONResponse({"status": "starting"}, status_code=503)
    return JSONResponse({"status": "ok", **runtime.counts()})


@router.get("/api/labs")
async def list_labs() -> list[dict]:
    """Every lab: id, title, summary, params JSON Schema and defaults."""
    return [describe(lab) for lab in LABS.values()]


@router.get("/api/labs/{lab_id}")
async def get_lab(lab: LabDep) -> dict:
    """One lab's description."""
    return describe(lab)


def _run(runtime: RuntimeDep, run_id: str):
    run = runtime.runs.get(run_id)
    if run is None or not run.built:
        raise HTTPException(404, "no such run: it ended, or the id is wrong")
    return run


def _filename(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")


@router.get("/api/runs/{run_id}/weights.pt")
async def download_weights(run_id: str, runtime: RuntimeDep) -> Response:
    """The run's current state_dict as a torch.save file."""
    run = _run(runtime, run_id)
    async with run.lock:
        try:
            data = await runtime.pool.call(run.worker, "weights", run.id)
        except WorkerError as exc:
            raise HTTPException(409, exc.message) from None
    name = f"layerwise-{_filename(run.lab.id)}-weights.pt"
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/api/runs/{run_id}/script.py")
async def download_script(run_id: str, runtime: RuntimeDep) -> PlainTextResponse:
    """A runnable standalone PyTorch script of the run's configuration and training loop."""
    run = _run(runtime, run_id)
    name = f"layerwise-{_filename(run.lab.id)}.py"
    try:
        script = run.lab.export_script(run.params)
    except LabError as exc:  # a lab without a script export (not_supported)
        raise HTTPException(404, exc.message) from None
    return PlainTextResponse(
        script,
        media_type="text/x-python",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
