"""Dependency aliases shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from app.config import Settings
from app.labs.base import Lab
from app.labs.registry import LABS
from app.live.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    """The process's live runtime."""
    return request.app.state.runtime


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    return request.app.state.settings


def get_lab(lab_id: str) -> type[Lab]:
    """The lab named in the path, or 404."""
    lab = LABS.get(lab_id)
    if lab is None:
        raise HTTPException(404, f"no lab {lab_id!r}; see /api/labs")
    return lab


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
LabDep = Annotated[type[Lab], Depends(get_lab)]
