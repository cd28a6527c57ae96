"""Small helpers shared by the benchmarks: statistics and progress lines."""

from __future__ import annotations

import sys

import numpy as np


def stats_ms(samples_s: list[float]) -> dict[str, float]:
    """Mean, p50, p99 and max of durations given in seconds, in milliseconds."""
    a = np.asarray(samples_s, dtype=np.float64) * 1e3
    return {
        "mean_ms": round(float(a.mean()), 3),
        "p50_ms": round(float(np.percentile(a, 50)), 3),
        "p99_ms": round(float(np.percentile(a, 99)), 3),
        "max_ms": round(float(a.max()), 3),
        "n": len(a),
    }


def latency_stats(latencies_ms: list[float]) -> dict[str, float | None]:
    if not latencies_ms:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None, "n": 0}
    a = np.asarray(latencies_ms)
    return {
        "p50_ms": round(float(np.percentile(a, 50)), 3),
        "p99_ms": round(float(np.percentile(a, 99)), 3),
        "max_ms": round(float(a.max()), 3),
        "n": len(a),
    }


def progress(text: str) -> None:
    """One line on stderr while the benchmark runs (the table goes to stdout)."""
    print(f"  {text}", file=sys.stderr, flush=True)
