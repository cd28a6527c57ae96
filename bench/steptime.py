"""In-process timing of the two-moons lab: one training step, and one frame's full cost.

Runs with one torch thread, as a worker process does. ``advance`` is exactly what a worker
does for each frame while playing: ``steps_per_frame`` steps, ``frame()``, quantise and
encode (``Worker.advance``). It is timed back to back (``advance``) and paced, with a sleep
between frames as a playing run has (``advance_paced``). On the 2-vCPU VM of
docs/benchmarks.md the paced figure is about twice the back-to-back one, and it is the paced
one that predicts what a served run costs.
"""

from __future__ import annotations

import time
from typing import Any

from bench.common import stats_ms

NETWORKS: list[tuple[str, dict[str, Any]]] = [
    ("default (2-4-4-1)", {}),
    ("6×16 (largest)", {"hidden": [16] * 6}),
]


def measure(
    steps: int, frames: int, paced: int, steps_per_frame: int = 5, pace_fps: float = 20.0
) -> list[dict[str, Any]]:
    """Time ``steps`` single steps, ``frames`` advances back to back and ``paced`` advances
    at ``pace_fps``, of each network in NETWORKS."""
    import torch

    from app.live.worker import Worker

    torch.set_num_threads(1)
    rows = []
    for name, params in NETWORKS:
        worker = Worker()
        worker.build("bench", "two-moons", params)
        lab = worker.runs["bench"]
        for _ in range(max(20, steps // 10)):
            lab.step(1)
        step_s = []
        for _ in range(steps):
            started = time.perf_counter()
            lab.step(1)
            step_s.append(time.perf_counter() - started)
        worker.advance("bench", steps_per_frame)
        advance_s = []
        size = 0
        for _ in range(frames):
            started = time.perf_counter()
            (_, message), *_ = worker.advance("bench", steps_per_frame)
            advance_s.append(time.perf_counter() - started)
            size = len(message)
        paced_s = []
        for _ in range(paced):
            started = time.perf_counter()
            worker.advance("bench", steps_per_frame)
            paced_s.append(time.perf_counter() - started)
            time.sleep(max(0.0, 1 / pace_fps - paced_s[-1]))
        rows.append(
            {
                "name": name,
                "params": params,
                "step": stats_ms(step_s),
                "advance": stats_ms(advance_s),
                "advance_paced": stats_ms(paced_s),
                "pace_fps": pace_fps,
                "steps_per_frame": steps_per_frame,
                "frame_bytes": size,
            }
        )
    return rows
