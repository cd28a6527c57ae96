"""Check that every lab trains the same on a device as on the CPU, and time both.

``python -m bench.device_check --device cuda --out DIR`` runs, for every lab at its defaults
and at a heavier configuration (lower frame rate, larger network and batch):

1. **Same start.** The lab is built on the CPU and on the device with the same seed. The
   step-0 snapshot (every parameter) must be equal to the bit (weights are made on the CPU,
   then moved), and every loss of the step-0 frame equal within float32 rounding.
2. **Training.** N steps on each; both final losses are reported (trajectories part slowly
   in float rounding, so they are shown, not required to be equal), and a loss that is
   finite on the CPU must be finite on the device.
3. **Speed.** ms per training step and per frame on each, after warm-up, the device
   synchronised before each clock reading; one CPU thread, as a worker process has.
4. **Live runtime.** The real runtime (worker processes) starts with the device setting;
   a run of every lab is built, played a few frames, and its messages decoded; the workers
   report the device their models are on, and the first frame's loss must match the
   in-process CPU build.

Writes ``DIR/device_check.json`` and a Markdown table ``DIR/device_check.md``; exits 1 on any
mismatch. Imports only torch, numpy, scikit-learn (the digits) and pydantic(-settings).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from app.labs.base import Lab
from app.labs.device import exact_float32, resolve_device, synchronize
from app.labs.registry import LABS

RTOL, ATOL = 1e-4, 1e-5  # a step-0 loss, device against CPU
# Transfer's fine-tuned weights come from a pretraining run on each device, so its step-0
# weights and losses may differ by more than rounding.
PRETRAINED_ATOL = 1e-3
PRETRAINED_RTOL = 1e-3

# (name, lab, params): defaults, then a heavier configuration each lab's budget accepts.
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("two-moons default", "two-moons", {}),
    (
        "two-moons 6×16, 2000 points, batch 1000",
        "two-moons",
        {"hidden": [16] * 6, "n_samples": 2000, "batch_size": 1000, "fps": 1,
         "steps_per_frame": 1},
    ),
    ("deep default (16×64)", "deep", {}),
    (
        "deep 64×256, batch 500",
        "deep",
        {"depth": 64, "width": 256, "batch_size": 500, "fps": 1, "steps_per_frame": 1},
    ),
    ("optimizers default", "optimizers", {}),
    ("regularization default", "regularization", {}),
    (
        "regularization 4 blocks × 256, batch 256",
        "regularization",
        {"width": 256, "blocks": 4, "batch_size": 256, "dropout": 0.2, "fps": 1,
         "steps_per_frame": 1},
    ),
    ("cnn default", "cnn", {}),
    (
        "cnn conv 32 → pool → conv 32, batch 512",
        "cnn",
        {
            "layers": [
                {"kind": "conv", "channels": 32, "padding": 1},
                {"kind": "maxpool", "kernel": 2, "stride": 2},
                {"kind": "conv", "channels": 32, "padding": 1},
            ],
            "batch_size": 512,
            "fps": 1,
            "steps_per_frame": 1,
        },
    ),
    ("upsampling default", "upsampling", {}),
    (
        "upsampling 32 channels, batch 512",
        "upsampling",
        {"channels": 32, "bottleneck": 16, "batch_size": 512, "fps": 1, "steps_per_frame": 1},
    ),
    ("transfer default (compare, pretraining 300)", "transfer", {}),
    ("rnn default (LSTM, T=30)", "rnn", {}),
    (
        "rnn LSTM 128, batch 256",
        "rnn",
        {"hidden": 128, "batch_size": 256, "fps": 1, "steps_per_frame": 1},
    ),
    ("attention default", "attention", {}),
    (
        "attention 4 blocks × 4 heads, d 64, T 16, batch 128",
        "attention",
        {"layers": 4, "heads": 4, "d_model": 64, "mlp": 256, "seq_len": 16, "batch_size": 128,
         "fps": 1, "steps_per_frame": 1},
    ),
]  # fmt: skip


def loss_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """The frame's numeric losses (``loss``, ``test_loss``, ``net_loss_adam``, ``b_loss`` …)."""
    return {
        k: float(v)
        for k, v in metrics.items()
        if "loss" in k and k != "batch_loss" and isinstance(v, int | float)
        if not isinstance(v, bool) and math.isfinite(v)
    }


def close(a: float, b: float, pretrained: bool = False) -> bool:
    """Whether a device's loss ``b`` agrees with the CPU's ``a`` (looser after pretraining)."""
    return abs(a - b) <= ATOL + (PRETRAINED_RTOL if pretrained else RTOL) * abs(a)


def headline(losses: dict[str, float]) -> tuple[str, float] | None:
    """The loss a table shows: ``loss`` if the frame has it, else the first one."""
    if "loss" in losses:
        return "loss", losses["loss"]
    return next(iter(sorted(losses.items())), None)


def timed(lab: Lab, device: torch.device, steps: int, frames: int) -> tuple[float, float]:
    """(ms per training step, ms per frame) after a warm-up, device synchronised."""
    lab.step(3)
    lab.frame()
    synchronize(device)
    started = time.perf_counter()
    for _ in range(steps):
        lab.step(1)
    synchronize(device)
    step_ms = 1000 * (time.perf_counter() - started) / steps
    frame_s = 0.0
    for _ in range(frames):
        lab.step(1)  # a new step, so no frame is served from a per-step cache
        synchronize(device)
        started = time.perf_counter()
        lab.frame()  # reads its numbers back to the CPU: synchronised by itself
        frame_s += time.perf_counter() - started
    return step_ms, 1000 * frame_s / frames


def check_case(
    name: str, lab_id: str, params: dict[str, Any], device: torch.device, steps: int
) -> dict[str, Any]:
    """Build on CPU and device, compare step 0, train, time; one row of the report."""
    lab_cls = LABS[lab_id]
    validated = lab_cls.validate(params)
    cpu = torch.device("cpu")
    row: dict[str, Any] = {"name": name, "lab": lab_id, "params": params, "problems": []}
    started = time.perf_counter()
    labs = {"cpu": lab_cls(validated, cpu), "device": lab_cls(validated, device)}  # type: ignore[call-arg]
    synchronize(device)
    row["build_s"] = round(time.perf_counter() - started, 3)
    frames = {k: lab.frame() for k, lab in labs.items()}
    losses = {k: loss_metrics(f.metrics) for k, f in frames.items()}
    row["step0"] = losses
    if losses["cpu"].keys() != losses["device"].keys():
        row["problems"].append(f"step-0 losses differ in kind: {losses}")
    for key, value in losses["cpu"].items():
        other = losses["device"].get(key)
        if other is not None and not close(value, other, lab_id == "transfer"):
            row["problems"].append(f"step-0 {key}: cpu {value!r} vs device {other!r}")
    snapshots = {k: lab.snapshot() for k, lab in labs.items()}
    worst = 0.0
    for key, value in snapshots["cpu"].items():
        other = snapshots["device"].get(key)
        if other is None or other.shape != value.shape:
            row["problems"].append(f"snapshot {key}: missing or reshaped on the device")
            continue
        worst = max(worst, float(np.max(np.abs(value - other), initial=0.0)))
    row["snapshot_max_diff"] = worst
    allowed = PRETRAINED_ATOL if lab_id == "transfer" else 0.0
    if worst > allowed:
        row["problems"].append(f"step-0 snapshot differs by up to {worst:.3g} (allowed {allowed})")
    for lab in labs.values():
        lab.step(steps)
    synchronize(device)
    trained = {k: loss_metrics(lab.frame().metrics) for k, lab in labs.items()}
    row["trained"] = trained
    for key in trained["cpu"]:
        if key not in trained["device"]:
            row["problems"].append(f"after {steps} steps {key} is not finite on the device")
    pick = headline(trained["cpu"])
    if pick is not None:
        key, value = pick
        row["loss_name"] = key
        row["loss_cpu"] = value
        row["loss_device"] = trained["device"].get(key)
    timing_steps = 20 if "default" in name else 10
    for kind, lab in labs.items():
        on = cpu if kind == "cpu" else device
        row[f"ms_step_{kind}"], row[f"ms_frame_{kind}"] = timed(lab, on, timing_steps, 5)
    row["ok"] = not row["problems"]
    return row


async def live(device_setting: str, steps: int) -> dict[str, Any]:
    """Drive the real runtime (2 worker processes) on the device: build, play, decode."""
    from app.config import Settings
    from app.live.runtime import Runtime
    from app.protocol.codec import decode

    out: dict[str, Any] = {"labs": {}, "problems": []}
    with tempfile.TemporaryDirectory(prefix="layerwise-device-") as data_dir:
        settings = Settings(device=device_setting, workers=2, data_dir=Path(data_dir))
        runtime = Runtime(settings)
        await runtime.start()
        try:
            out["runtime_device"] = runtime.counts()["device"]
            for lab_id, lab_cls in LABS.items():
                params = lab_cls.validate({"pretrain_steps": 20} if lab_id == "transfer" else {})
                run = runtime.new_run(lab_cls, params)
                messages = await runtime.build(run)
                decoded = [decode(m) for _, m in messages]
                first = decoded[-1]
                reference = loss_metrics(lab_cls(params).frame().metrics)  # in-process, CPU
                got = loss_metrics(first.metrics)
                entry: dict[str, Any] = {"messages": [f.type for f in decoded], "problems": []}
                for key, value in reference.items():
                    if key not in got or not close(value, got[key], lab_id == "transfer"):
                        entry["problems"].append(f"first frame {key}: {got.get(key)} vs {value}")
                n = getattr(params, "steps_per_frame", 1)
                steps_seen = []
                for _ in range(steps):
                    ((kind, message),) = await runtime.pool.call(run.worker, "advance", run.id, n)
                    frame = decode(message)
                    assert kind == "frame" and frame.type == "frame"
                    for array in frame.arrays.values():
                        array.values()  # every array decodes
                    steps_seen.append(frame.step)
                if steps_seen != [n * (i + 1) for i in range(steps)]:
                    entry["problems"].append(f"frame steps {steps_seen}")
                ((_, snap),) = await runtime.pool.call(run.worker, "snapshot", run.id)
                entry["snapshot_arrays"] = len(decode(snap).arrays)
                entry["where"] = await runtime.pool.call(run.worker, "where")
                where = entry["where"]
                if where["device"] != runtime.device.type:
                    entry["problems"].append(f"worker builds on {where['device']}")
                if where["device"] == "cuda" and not where.get("memory_allocated"):
                    entry["problems"].append("the worker holds no GPU memory: not on the GPU")
                entry["frames"] = len(steps_seen)
                entry["last_metrics"] = loss_metrics(frame.metrics) if steps_seen else {}
                runtime.drop(run)
                out["labs"][lab_id] = entry
                out["problems"] += [f"{lab_id}: {p}" for p in entry["problems"]]
        finally:
            await runtime.stop()
    return out


def environment(device: torch.device) -> dict[str, Any]:
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "device": str(device),
        "cpu_threads": torch.get_num_threads(),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
        info["cuda"] = torch.version.cuda
    return info


def fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def markdown(report: dict[str, Any]) -> str:
    env = report["environment"]
    lines = [
        f"# Device check: {env['device']} ({env.get('gpu', 'no GPU')})",
        "",
        f"torch {env['torch']}, Python {env['python']}, one CPU thread; "
        f"{report['steps']} training steps per configuration. Result: "
        + ("**all checks passed**" if report["ok"] else "**MISMATCH** (see problems)"),
        "",
        "| configuration | step-0 loss cpu / device | snapshot Δ | loss after N cpu / device "
        "| ms/step cpu | ms/step device | speed-up | ms/frame cpu | ms/frame device | ok |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["cases"]:
        step0 = headline(row["step0"]["cpu"])
        step0_device = row["step0"]["device"].get(step0[0]) if step0 else None
        speedup = row["ms_step_cpu"] / row["ms_step_device"] if row["ms_step_device"] else None
        lines.append(
            f"| {row['name']} | {fmt(step0[1] if step0 else None, 7)} / {fmt(step0_device, 7)} "
            f"| {fmt(row['snapshot_max_diff'], 2)} "
            f"| {fmt(row.get('loss_cpu'))} / {fmt(row.get('loss_device'))} "
            f"| {row['ms_step_cpu']:.2f} | {row['ms_step_device']:.2f} | {fmt(speedup, 3)}× "
            f"| {row['ms_frame_cpu']:.1f} | {row['ms_frame_device']:.1f} "
            f"| {'yes' if row['ok'] else 'NO'} |"
        )
    runtime = report["live"]
    lines += [
        "",
        f"## Live runtime (worker processes, device {runtime.get('runtime_device')})",
        "",
        "| lab | messages at build | frames played | worker device | GPU memory (MB) | ok |",
        "|---|---|---|---|---|---|",
    ]
    for lab_id, entry in runtime["labs"].items():
        where = entry["where"]
        memory = where.get("memory_allocated")
        lines.append(
            f"| {lab_id} | {', '.join(entry['messages'])} | {entry['frames']} "
            f"| {where['device']} | {fmt(memory / 2**20 if memory is not None else None, 3)} "
            f"| {'yes' if not entry['problems'] else 'NO'} |"
        )
    problems = [p for row in report["cases"] for p in row["problems"]] + runtime["problems"]
    if problems:
        lines += ["", "## Problems", "", *(f"- {p}" for p in problems)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", choices=["cpu", "cuda", "auto"])
    parser.add_argument("--out", type=Path, required=True, help="folder for the report")
    parser.add_argument("--steps", type=int, default=30, help="training steps per config")
    parser.add_argument("--frames", type=int, default=4, help="frames played per live run")
    parser.add_argument("--only", default=None, help="run only cases whose name has this")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # as a worker process
    device = resolve_device(args.device)
    if device.type == "cuda":
        exact_float32()
    args.out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"environment": environment(device), "steps": args.steps}
    rows = []
    for name, lab_id, params in CASES:
        if args.only and args.only not in name:
            continue
        started = time.perf_counter()
        try:
            row = check_case(name, lab_id, params, device, args.steps)
        except Exception as exc:  # one broken configuration must not hide the others
            row = {"name": name, "lab": lab_id, "params": params, "ok": False,
                   "problems": [f"{type(exc).__name__}: {exc}"], "step0": {"cpu": {}, "device": {}},
                   "snapshot_max_diff": None, "ms_step_cpu": math.nan,
                   "ms_step_device": math.nan, "ms_frame_cpu": math.nan,
                   "ms_frame_device": math.nan}  # fmt: skip
        row["seconds"] = round(time.perf_counter() - started, 2)
        print(f"{'ok ' if row['ok'] else 'BAD'} {row['seconds']:6.1f} s  {name}", flush=True)
        for problem in row["problems"]:
            print(f"      {problem}", flush=True)
        rows.append(row)
    report["cases"] = rows
    started = time.perf_counter()
    try:
        report["live"] = asyncio.run(live(args.device, args.frames))
    except Exception as exc:
        report["live"] = {"labs": {}, "problems": [f"runtime: {type(exc).__name__}: {exc}"]}
    print(f"live runtime {time.perf_counter() - started:.1f} s", flush=True)
    for problem in report["live"]["problems"]:
        print(f"      {problem}", flush=True)
    report["ok"] = all(r["ok"] for r in rows) and not report["live"]["problems"]
    (args.out / "device_check.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    (args.out / "device_check.md").write_text(markdown(report))
    print(markdown(report))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
