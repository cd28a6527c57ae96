"""One client at a time: frames/s, bytes per frame and latency of a single run."""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import numpy as np

from bench import machine, server
from bench.common import latency_stats, progress
from bench.wsclient import Client

# name, key, params set with `configure` before `play`, lab (two-moons unless named)
SINGLE: list[tuple[str, str, dict[str, Any]] | tuple[str, str, dict[str, Any], str]] = [
    ("default, fps=60", "default-fps60", {"fps": 60}),
    ("default, fps=20", "default-fps20", {}),
    ("precision float32", "float32-fps20", {"precision": "float32"}),
    ("6×16 network", "6x16-fps20", {"hidden": [16] * 6}),
    ("cnn lab, its defaults (fps=10)", "cnn-default", {}, "cnn"),
    ("attention lab, its defaults (fps=10)", "attention-default", {}, "attention"),
    ("rnn lab, its defaults (fps=5)", "rnn-default", {}, "rnn"),
    ("deep lab 48×64 (fps=10)", "deep-48x64", {"depth": 48, "width": 64}, "deep"),
    ("optimizers lab, its defaults (fps=10)", "optimizers-default", {}, "optimizers"),
    ("regularization lab, its defaults (fps=10)", "regularization-default", {}, "regularization"),
    ("transfer lab, its defaults (fps=10)", "transfer-default", {}, "transfer"),
]


async def _one_client(
    srv: server.Server, params: dict[str, Any], args: argparse.Namespace, lab: str = "two-moons"
) -> dict:
    """Build a run, configure, play; after the warm-up, measure for args.duration seconds."""
    client = await Client.open(srv.ws_url, lab=lab)
    try:
        await client.ready()
        if params:
            await client.configure(params)
        fps_asked = client.status["params"]["fps"]  # type: ignore[index]
        await client.play()
        await asyncio.sleep(args.warmup)
        workers = srv.worker_pids()
        before, started = machine.sample(srv.process.pid, workers), time.monotonic()
        client.reset()
        await asyncio.sleep(args.duration)
        window = client.window()
        cpu = machine.usage(
            before, machine.sample(srv.process.pid, workers), time.monotonic() - started
        )
        await client.send("pause")
        if client.errors:
            raise RuntimeError(f"server error: {client.errors[-1]}")
    finally:
        await client.close()
    sizes = window["sizes"]
    return {
        "fps_asked": fps_asked,
        "frames": window["frames"],
        "fps": round(window["fps"], 2),
        "max_gap_ms": round(window["max_gap_s"] * 1e3, 1),
        "bytes_mean": round(float(np.mean(sizes)), 1) if sizes else 0.0,
        "bytes_max": max(sizes, default=0),
        "latency": latency_stats([x * 1e3 for x in window["latencies"]]),
        "cpu": cpu,
    }


def single_client(srv: server.Server, args: argparse.Namespace) -> list[dict]:
    """Each scenario of SINGLE on its own socket, one after the other."""
    rows = []
    for name, key, params, *lab in SINGLE:
        row = asyncio.run(_one_client(srv, params, args, *lab))
        rows.append({"name": name, "key": key, "params": params, **row})
        progress(
            f"one client, {name}: {row['fps']:.1f} frames/s, {row['bytes_mean'] / 1000:.1f} kB, "
            f"p99 {row['latency']['p99_ms']} ms"
        )
    return rows
