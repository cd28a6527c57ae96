"""What the benchmark ran on, and CPU accounting of processes from /proc (Linux)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def loadavg() -> list[float]:
    """The 1, 5 and 15 minute load averages (empty where /proc is missing)."""
    parts = _read("/proc/loadavg").split()
    return [float(x) for x in parts[:3]]


def describe() -> dict:
    """CPU model, core count, memory, OS, Python and library versions, date."""
    import numpy
    import torch
    import websockets

    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in _read("/proc/cpuinfo").splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kb = next(
        (
            int(line.split()[1])
            for line in _read("/proc/meminfo").splitlines()
            if "MemTotal" in line
        ),
        0,
    )
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": model,
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "mem_gib": round(mem_kb / 2**20, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "websockets": websockets.__version__,
        "loadavg_start": loadavg(),
    }


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used (0 when it is gone)."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _read(f"/proc/{entry.name}/stat")
        if stat and int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def system_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine, all cores, since boot."""
    line = _read("/proc/stat").splitlines()[0] if _read("/proc/stat") else ""
    values = [int(x) for x in line.split()[1:]]
    if not values:
        return 0.0, 0.0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


@dataclass
class CpuSample:
    """CPU seconds of the server, its workers and the whole machine at one instant."""

    server: float
    workers: list[float]
    busy: float
    total: float


def sample(server_pid: int, worker_pids: list[int]) -> CpuSample:
    """Read the CPU counters now."""
    busy, total = system_busy()
    return CpuSample(
        process_cpu_s(server_pid), [process_cpu_s(p) for p in worker_pids], busy, total
    )


def usage(before: CpuSample, after: CpuSample, wall_s: float) -> dict:
    """Percent of one core used by the server and its workers, and of all cores machine-wide."""
    span = max(after.total - before.total, 1e-9)
    each = [round(100 * (b - a) / wall_s, 1) for a, b in zip(before.workers, after.workers)]
    return {
        "server_cpu_pct": round(100 * (after.server - before.server) / wall_s, 1),
        "workers_cpu_pct": round(sum(each), 1),
        "workers_cpu_pct_each": each,
        "machine_busy_pct": round(100 * (after.busy - before.busy) / span, 1),
    }
