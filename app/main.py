"""create_app(): FastAPI with static files, templates, routers and the live runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import plotly
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.middleware.trustedhost import TrustedHostMiddleware

from app import __version__
from app.config import Settings, get_settings
from app.db.engine import database_url, make_engine, make_sessionmaker, upgrade
from app.live.runtime import Runtime
from app.web import accounts, api, assignments, classes, dashboard, join, learn, pages, ws
from app.web.auth_deps import current_user
from app.web.security import SecurityHeaders

ROOT = Path(__file__).resolve().parents[1]
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The Layerwise app; ``settings`` default to the environment's."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if not settings.skip_migrations:
            await run_in_threadpool(upgrade, url)  # a fresh data dir gets its tables
        await app.state.runtime.start()
        try:
            yield
        finally:
            await app.state.runtime.stop()
            app.state.engine.dispose()

    app = FastAPI(title="Layerwise", version=__version__, lifespan=lifespan, docs_url="/api/docs")
    app.state.settings = settings
    app.state.runtime = Runtime(settings)
    url = database_url(settings)
    app.state.engine = make_engine(url)
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    app.state.viewer = current_user  # base.html's top bar asks it who is signed in
    # A class may ask prerequisites to be proficient before its learners' lessons open.
    app.state.required_level = assignments.required_level
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)
    app.add_middleware(
        SecurityHeaders,
        max_body_bytes=settings.max_body_bytes,
        allowed_origins=settings.allowed_origins,
    )

    @app.get("/static/vendor/plotly.min.js", include_in_schema=False)
    async def plotly_js() -> FileResponse:
        """plotly.js, served from the installed plotly package (no CDN)."""
        return FileResponse(PLOTLY_JS, media_type="text/javascript")

    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    app.include_router(api.router)
    app.include_router(ws.router)
    app.include_router(accounts.router)
    app.include_router(learn.router)
    app.include_router(classes.router)
    app.include_router(join.router)
    app.include_router(assignments.router)
    app.include_router(dashboard.router)
    app.include_router(pages.router)
    return app
