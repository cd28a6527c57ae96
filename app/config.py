"""Settings: the one reader of the environment (prefix LAYERWISE_)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 64))


class Settings(BaseSettings):
    """Everything an operator can configure, read once from LAYERWISE_* variables."""

    model_config = SettingsConfigDict(env_prefix="LAYERWISE_", extra="ignore")

    data_dir: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Hosts whose Origin a websocket handshake may carry besides the request's own Host.
    allowed_origins: list[str] = Field(default_factory=list)
    # Host headers the app answers (TrustedHost); set your domain when serving publicly.
    allowed_hosts: list[str] = Field(default_factory=lambda: ["*"])

    workers: int = Field(default_factory=_default_workers, ge=1, le=64)
    max_active_runs: int = Field(default=64, ge=1, le=4096)
    max_queued_runs: int = Field(default=32, ge=0, le=4096)
    detached_grace_s: float = Field(default=120.0, ge=0)
    paused_idle_s: float = Field(default=1800.0, ge=1)
    max_message_bytes: int = Field(default=64 * 1024, ge=1024)
    max_body_bytes: int = Field(default=1 << 20, ge=1024, le=64 << 20)

    # The database: SQLite under data_dir unless a URL is given (postgresql+psycopg://…).
    database_url: str | None = None
    # True: start without migrating (replicas, when one job runs `layerwise db upgrade`).
    skip_migrations: bool = False
    # Sessions end after this long without a request, and in any case this long after login.
    session_idle_minutes: int = Field(default=120, ge=1, le=7 * 24 * 60)
    session_absolute_hours: int = Field(default=7 * 24, ge=1, le=90 * 24)
    # Mark the session cookie Secure even when the request reached us over plain http
    # (behind a TLS-terminating proxy); https requests always get Secure cookies.
    secure_cookies: bool = False
    # Argon2id cost: memory in KiB (bounded so a login cannot exhaust the server) and passes.
    argon2_memory_kib: int = Field(default=19 * 1024, ge=1024, le=256 * 1024)
    argon2_time_cost: int = Field(default=2, ge=1, le=10)
    # Failed logins allowed per account and per address within the window, then 429.
    login_max_failures: int = Field(default=5, ge=1, le=1000)
    login_address_max_failures: int = Field(default=20, ge=1, le=10000)
    login_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # Whether visitors may create their own (learner) accounts; off: accounts come from admins.
    signup_open: bool = True

    # Where labs train: cpu, cuda (fails at start when no GPU is visible) or auto (cuda when
    # one is visible, else cpu).
    device: Literal["cpu", "cuda", "auto"] = "cpu"

    # The curriculum (concepts.yaml + lessons/); None: the repository's curriculum/.
    curriculum_dir: Path | None = None


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own Settings and pass them in)."""
    return Settings()
