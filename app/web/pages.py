"""HTML pages: the landing page and each lab's page."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.labs.registry import LABS, describe
from app.web.deps import LabDep

ROOT = Path(__file__).resolve().parents[2]
templates = Jinja2Templates(directory=ROOT / "templates")
router = APIRouter()
# Plain `def` handlers: base.html asks who is signed in (a database read), so pages render in
# the thread pool rather than on the event loop.


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The landing page: every lab with what it shows."""
    labs = [describe(lab) for lab in LABS.values()]
    return templates.TemplateResponse(request, "index.html", {"labs": labs})


@router.get("/labs/{lab_id}", response_class=HTMLResponse)
def lab_page(request: Request, lab: LabDep) -> HTMLResponse:
    """A lab's page: the shared lab frame around this lab's stage."""
    return templates.TemplateResponse(request, "lab.html", {"lab": describe(lab)})
