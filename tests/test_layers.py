"""The layers of app/ import one way (DESIGN.md "Layers"); every module is checked by its AST.

nets, data ← probes ← labs ← live ← web; protocol imports neither torch nor a web framework;
nothing imports app.web but app.main; FastAPI/Starlette live only in app/web and app/main;
curriculum imports neither torch, the database, the labs nor the web.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"

# For each area of app/, the areas of app/ it may import (None: any).
ALLOWED_APP_IMPORTS: dict[str, set[str] | None] = {
    "nets": {"nets"},
    "data": {"data"},
    "probes": {"nets", "data", "probes"},
    "labs": {"nets", "data", "probes", "labs"},
    "live": {"labs", "protocol", "config", "live"},
    "protocol": {"protocol"},
    "curriculum": {"curriculum", "config"},
    "db": {"db", "config"},
    "auth": {"auth", "db", "config"},
}
# Third-party packages an area must never import.
FORBIDDEN_PACKAGES: dict[str, set[str]] = {
    "nets": {"fastapi", "starlette", "sqlalchemy", "alembic"},
    "data": {"fastapi", "starlette", "sqlalchemy", "alembic"},
    "probes": {"fastapi", "starlette", "sqlalchemy", "alembic"},
    "labs": {"fastapi", "starlette", "sqlalchemy", "alembic"},
    "protocol": {"torch", "fastapi", "starlette"},
    "curriculum": {"torch", "sqlalchemy", "alembic", "fastapi", "starlette"},
    "db": {"torch", "fastapi", "starlette"},
    "auth": {"torch", "fastapi", "starlette"},
}
WEB_FRAMEWORKS = {"fastapi", "starlette"}
MAY_USE_WEB = {"web", "main"}


def module_name(path: Path) -> str:
    """app/live/pool.py → app.live.pool; app/live/__init__.py → app.live."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(module: str, source: str, is_package: bool = False) -> set[str]:
    """Every module the source imports, relative imports resolved, ``from m import n`` as m.n."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def area(module: str) -> str:
    """app.live.pool → live; app.main → main; app → ''."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def violations(module: str, source: str, is_package: bool = False) -> list[str]:
    """The layering rules that ``source`` (the text of ``module``) breaks."""
    mine = area(module)
    problems = []
    for target in sorted(imported_modules(module, source, is_package)):
        top = target.split(".")[0]
        if top == "app":
            theirs = area(target)
            allowed = ALLOWED_APP_IMPORTS.get(mine)
            if allowed is not None and theirs not in allowed:
                problems.append(f"{module} imports {target}: {mine} may import only {allowed}")
            if theirs == "web" and mine not in MAY_USE_WEB:
                problems.append(f"{module} imports {target}: only app.main imports app.web")
        elif top in FORBIDDEN_PACKAGES.get(mine, set()):
            problems.append(f"{module} imports {target}, which {mine} must not")
        if top in WEB_FRAMEWORKS and mine not in MAY_USE_WEB:
            problems.append(f"{module} imports {target}: only app/web and app/main use {top}")
    return problems


SOURCES = sorted(APP.rglob("*.py"))


def test_find_app_sources() -> None:
    names = {module_name(p) for p in SOURCES}
    assert {"app.nets.mlp", "app.protocol.codec", "app.live.session", "app.web.ws"} <= names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: module_name(p))
def test_import_follows_layers(path: Path) -> None:
    source = path.read_text()
    assert violations(module_name(path), source, path.name == "__init__.py") == []


def test_check_catches_planted_violations() -> None:
    planted = "\n".join(
        [
            "import torch",
            "import fastapi",
            "from starlette.websockets import WebSocket",
            "from app.web import api",
            "from ..labs import base",
            "from . import codec",
            "def later():",
            "    from app.live.pool import WorkerPool",
        ]
    )
    found = violations("app.protocol.bad", planted)
    assert any("torch" in p for p in found)
    assert any("fastapi" in p for p in found)
    assert any("starlette" in p for p in found)
    assert any("only app.main imports app.web" in p for p in found)
    assert any("app.labs" in p for p in found)  # the relative import, resolved
    assert any("app.live.pool" in p for p in found)  # imports inside functions count
    assert not any("app.protocol.codec" in p for p in found)  # its own package is fine


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("app.nets.cnn", "from app.data.toy2d import make"),
        ("app.data.digits", "from app.nets.mlp import MLP"),
        ("app.probes.attention", "from app.labs.base import Lab"),
        ("app.labs.cnn", "from app.protocol.codec import encode"),
        ("app.labs.cnn", "from app.live.pool import WorkerPool"),
        ("app.live.session", "from app.web.ws import router"),
        ("app.live.session", "from app.nets.mlp import MLP"),
        ("app.config", "from app.web import api"),
        ("app.labs.cnn", "import starlette"),
        ("app.curriculum.checks", "import torch"),
        ("app.curriculum.checks", "from app.db import engine"),
        ("app.curriculum.validate", "from app.labs.registry import LABS"),
        ("app.curriculum.loader", "from app.web import pages"),
        ("app.curriculum.checks", "import sqlalchemy"),
        ("app.db.progress", "from app.curriculum.mastery import Level"),
        ("app.db.models", "import torch"),
        ("app.auth.sessions", "from app.web.auth_deps import current_user"),
        ("app.auth.sessions", "from app.live.runtime import Run"),
    ],
)
def test_check_catches_each_rule(module: str, source: str) -> None:
    assert violations(module, source) != []


@pytest.mark.parametrize(
    ("module", "source", "is_package"),
    [
        ("app.labs.cnn", "from app.nets.mlp import MLP\nimport torch\nimport numpy", False),
        (
            "app.live.runtime",
            "from app.labs.base import Lab\nfrom app.config import Settings",
            False,
        ),
        ("app.main", "from app.web import api\nfrom fastapi import FastAPI", False),
        (
            "app.web.ws",
            "from fastapi import APIRouter\nfrom app.web.deps import get_runtime",
            False,
        ),
        ("app.nets", "from .mlp import MLP", True),
        ("app.protocol", "from app.protocol.codec import encode\nimport numpy", True),
    ],
)
def test_check_allows_layered_imports(module: str, source: str, is_package: bool) -> None:
    assert violations(module, source, is_package) == []


def test_resolve_relative_imports() -> None:
    assert imported_modules("app.live.pool", "from . import worker") == {
        "app.live",
        "app.live.worker",
    }
    assert imported_modules("app.live", "from .pool import WorkerPool", is_package=True) == {
        "app.live.pool",
        "app.live.pool.WorkerPool",
    }
    assert "app.labs.base" in imported_modules("app.live.pool", "from ..labs.base import Lab")
