"""In-process timing of the labs: one training step, and one frame's full cost.

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

# name, lab, params, (steps_per_frame, pace_fps) when not the measure() arguments: the cnn lab
# is timed at its own defaults (2 steps a frame, 10 frames/s). It comes first so that the
# table's header, which names the last row's steps and pace, stays right for two-moons.
NETWORKS: list[tuple[str, str, dict[str, Any], tuple[int, float] | None]] = [
    ("cnn default (2 steps, paced 10 fps)", "cnn", {}, (2, 10.0)),
    ("attention default (2×2 heads, T=6; 2 steps, paced 10 fps)", "attention", {}, (2, 10.0)),
    ("rnn default (LSTM, T=30; 4 steps, paced 5 fps)", "rnn", {}, (4, 5.0)),
    ("deep 48×64 (2 steps, paced 10 fps)", "deep", {"depth": 48, "width": 64}, (2, 10.0)),
    ("optimizers default (3 racers + nets; 5 steps, paced 10 fps)", "optimizers", {}, (5, 10.0)),
    ("regularization default (5 steps, paced 10 fps)", "regularization", {}, (5, 10.0)),
    ("transfer compare (2 steps, paced 10 fps)", "transfer", {}, (2, 10.0)),
    ("default (2-4-4-1)", "two-moons", {}, None),
    ("6×16 (largest)", "two-moons", {"hidden": [16] * 6}, None),
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
    asked = (steps_per_frame, pace_fps)
    for name, lab_id, params, own in NETWORKS:
        steps_per_frame, pace_fps = own or asked
        worker = Worker()
        worker.build("bench", lab_id, params)
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
