"""A client process for the concurrency benchmark: many runs in one asyncio loop.

Driven by JSON lines on stdin, answered by JSON lines on stdout (run by bench.run as
``python -m bench.load WS_URL``):

- ``{"cmd": "grow", "n": N, "params": {...}}`` — open runs until this process holds N, each
  with ``params``, built and playing (its first frame received);
- ``{"cmd": "measure", "duration": S}`` — count every run's frames and latencies for S seconds;
  also this process's CPU use and its event loop's lag (to show the client keeps up);
- ``{"cmd": "quit"}``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from bench.wsclient import Client

BATCH = 8


class Load:
    """The runs of this process."""

    def __init__(self, ws_url: str) -> None:
        self.ws_url = ws_url
        self.clients: list[Client] = []

    async def grow(self, n: int, params: dict[str, Any]) -> dict[str, Any]:
        while len(self.clients) < n:
            batch = min(BATCH, n - len(self.clients))
            opened = await asyncio.gather(*(Client.open(self.ws_url, params) for _ in range(batch)))
            self.clients.extend(opened)
            await asyncio.gather(*(c.ready() for c in opened))
            await asyncio.gather(*(c.play() for c in opened))
        return {"ok": True, "clients": len(self.clients)}

    async def measure(self, duration: float) -> dict[str, Any]:
        lags: list[float] = []
        stop = asyncio.Event()

        async def ticker(period: float = 0.005) -> None:
            while not stop.is_set():
                before = time.monotonic()
                await asyncio.sleep(period)
                lags.append(time.monotonic() - before - period)

        for client in self.clients:
            client.reset()
        cpu0, wall0 = time.process_time(), time.monotonic()
        tick = asyncio.create_task(ticker())
        await asyncio.sleep(duration)
        windows = [client.window() for client in self.clients]
        cpu1, wall1 = time.process_time(), time.monotonic()
        stop.set()
        await tick
        lags.sort()
        return {
            "ok": True,
            "clients": [
                {
                    "fps": w["fps"],
                    "frames": w["frames"],
                    "max_gap_ms": round(w["max_gap_s"] * 1e3, 2),
                    "latencies_ms": [round(x * 1e3, 3) for x in w["latencies"]],
                    "bytes": sum(w["sizes"]),
                }
                for w in windows
            ],
            "cpu_pct": 100 * (cpu1 - cpu0) / (wall1 - wall0),
            "loop_lag_ms": {
                "p99": 1e3 * lags[int(0.99 * (len(lags) - 1))] if lags else 0.0,
                "max": 1e3 * lags[-1] if lags else 0.0,
            },
            "errors": [e for c in self.clients for e in c.errors],
            "closed": [c.closed for c in self.clients if c.closed],
        }

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.clients))
        self.clients = []


async def serve(ws_url: str) -> None:
    load = Load(ws_url)
    try:
        while True:
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                return
            command = json.loads(line)
            try:
                if command["cmd"] == "grow":
                    answer = await load.grow(command["n"], command.get("params") or {})
                elif command["cmd"] == "measure":
                    answer = await load.measure(command["duration"])
                elif command["cmd"] == "quit":
                    return
                else:
                    answer = {"ok": False, "error": f"unknown command {command['cmd']!r}"}
            except Exception as exc:
                answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()
    finally:
        await load.close()


def main() -> None:
    try:
        import uvloop
    except ImportError:  # plain asyncio works too, with a little more overhead per message
        asyncio.run(serve(sys.argv[1]))
    else:
        uvloop.run(serve(sys.argv[1]))


if __name__ == "__main__":
    main()
