"""Settings: the one reader of the environment (prefix LAYERWISE_)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

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


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own Settings and pass them in)."""
    return Settings()
