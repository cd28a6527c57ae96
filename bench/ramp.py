"""Concurrent runs: ramp N clients in separate client processes until a level fails."""

from __future__ import annotations

import argparse
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench import machine, server
from bench.common import latency_stats, progress

ROOT = Path(__file__).resolve().parents[1]


class LoadProcess:
    """A `python -m bench.load` child and a thread that queues its answers."""

    def __init__(self, ws_url: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.load", ws_url],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.answers: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.answers.put(line)
        self.answers.put("")

    def send(self, command: dict[str, Any]) -> None:
        """Write one command line to the child."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def answer(self, timeout: float) -> dict[str, Any]:
        """The child's next answer, or an ``ok: false`` one when it is silent or gone."""
        try:
            line = self.answers.get(timeout=timeout)
        except queue.Empty:
            return {"ok": False, "error": f"the client process did not answer in {timeout:.0f} s"}
        if not line:
            return {"ok": False, "error": f"the client process exited ({self.process.poll()})"}
        return json.loads(line)

    def stop(self) -> None:
        """Ask the child to close its sockets and exit; kill it if it does not."""
        if self.process.poll() is None:
            try:
                self.send({"cmd": "quit"})
                self.process.wait(15)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()


def _ask(procs: list[LoadProcess], commands: list[dict], timeout: float) -> list[dict]:
    """Send each child its command at once, then collect the answers (they work in parallel)."""
    for proc, command in zip(procs, commands):
        proc.send(command)
    deadline = time.monotonic() + timeout
    return [proc.answer(max(1.0, deadline - time.monotonic())) for proc in procs]


def _measure_level(
    srv: server.Server, procs: list[LoadProcess], n: int, args: argparse.Namespace
) -> dict[str, Any]:
    """One window over every run: frames/s, latency, the CPU it cost, and pass or fail."""
    workers = srv.worker_pids()
    before, started = machine.sample(srv.process.pid, workers), time.monotonic()
    answers = _ask(procs, [{"cmd": "measure", "duration": args.duration}] * len(procs), 60)
    cpu = machine.usage(
        before, machine.sample(srv.process.pid, workers), time.monotonic() - started
    )
    if bad := [a["error"] for a in answers if not a.get("ok")]:
        return {"n": n, "passed": False, "reason": "; ".join(bad), "broken": True}
    clients = [c for a in answers for c in a["clients"]]
    fps = [c["fps"] for c in clients]
    latencies = [x for c in clients for x in c["latencies_ms"]]
    lat = latency_stats(latencies)
    client_cpu = sum(a["cpu_pct"] for a in answers)
    cores = os.cpu_count() or 1
    other = cpu["machine_busy_pct"] * cores - (
        cpu["server_cpu_pct"] + cpu["workers_cpu_pct"] + client_cpu
    )
    counts = server.health(srv)
    errors = [e for a in answers for e in a["errors"]]
    closed = [c for a in answers for c in a["closed"]]
    reasons = []
    if len(clients) != n or counts.get("active") != n:
        reasons.append(f"{len(clients)} clients and {counts.get('active')} active runs, not {n}")
    if lat["p99_ms"] is None or lat["p99_ms"] > args.max_p99:
        reasons.append(f"latency p99 {lat['p99_ms']} ms > {args.max_p99:.0f}")
    if min(fps, default=0.0) < args.min_fps:
        slow = sum(1 for f in fps if f < args.min_fps)
        reasons.append(f"{slow} of {n} clients < {args.min_fps} frames/s (min {min(fps):.2f})")
    if errors:
        reasons.append(f"{len(errors)} server errors, e.g. {errors[0]}")
    if closed:
        reasons.append(f"{len(closed)} sockets closed, e.g. {closed[0]}")
    return {
        "n": n,
        "passed": not reasons,
        "reason": "; ".join(reasons),
        "fps_min": round(min(fps, default=0.0), 3),
        "fps_each": [round(f, 2) for f in fps],
        "fps_mean": round(float(np.mean(fps)) if fps else 0.0, 3),
        "frames_per_s_total": round(sum(fps), 1),
        "latency": lat,
        "client_cpu_pct": round(client_cpu, 1),
        "other_cpu_pct": round(other, 1),
        "server_counts": counts,
        "max_gap_ms": max((c["max_gap_ms"] for c in clients), default=0.0),
        "client_loop_lag_ms": round(
            max((a["loop_lag_ms"]["max"] for a in answers), default=0.0), 2
        ),
        **cpu,
    }


def concurrency(srv: server.Server, args: argparse.Namespace) -> dict[str, Any]:
    """Add runs (fps=10, steps_per_frame=5) level by level; stop at the first failing level.

    A failing level is measured once more with the same runs (unless --no-retry) so that one
    burst of load from outside the benchmark does not end the ramp; both are recorded.
    """
    params = {"fps": 10, "steps_per_frame": 5}
    result: dict[str, Any] = {
        **params,
        "max_p99_ms": args.max_p99,
        "min_fps": args.min_fps,
        "client_procs": args.client_procs,
        "levels": [],
        "max_passing": 0,
    }
    procs = [LoadProcess(srv.ws_url) for _ in range(args.client_procs)]
    try:
        n = args.ramp_start
        while n <= args.max_runs:
            share = [n // len(procs) + (i < n % len(procs)) for i in range(len(procs))]
            grow = [{"cmd": "grow", "n": k, "params": params} for k in share]
            answers = _ask(procs, grow, 60 + 2 * n)
            if bad := [a["error"] for a in answers if not a.get("ok")]:
                level = {"n": n, "passed": False, "reason": "; ".join(bad), "broken": True}
            else:
                time.sleep(args.warmup)
                level = _measure_level(srv, procs, n, args)
                level["attempts"] = 1
                if not level["passed"] and not level.get("broken") and not args.no_retry:
                    first = level
                    level = _measure_level(srv, procs, n, args)
                    level["attempts"] = 2
                    level["first_attempt"] = {k: v for k, v in first.items() if k != "attempts"}
            if level.get("broken"):
                progress(f"{n} runs: the harness could not measure: {level['reason']}")
                result["broken"] = level
                break
            result["levels"].append(level)
            progress(
                f"{n} runs: {'pass' if level['passed'] else 'FAIL'} — min "
                f"{level['fps_min']:.2f} frames/s, p99 {level['latency']['p99_ms']} ms, "
                f"workers {level['workers_cpu_pct']:.0f}% CPU, other load "
                f"{level['other_cpu_pct']:.0f}%"
                + (f" ({level['reason']})" if level["reason"] else "")
            )
            if not level["passed"]:
                break
            result["max_passing"] = n
            n += args.ramp_step
    finally:
        for proc in procs:
            proc.stop()
    return result
