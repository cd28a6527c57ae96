"""The results table, as plain text (printed after a run) or Markdown (for docs/benchmarks.md)."""

from __future__ import annotations

from typing import Any

TARGET_FPS = 20.0
TARGET_FRAME_BYTES = 40_000
TARGET_P99_MS = 50.0
TARGET_RUNS = 24


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets with the measured figure each is judged on."""
    single = {s["key"]: s for s in results.get("single_client", [])}
    rows = []
    fast = single.get("default-fps60")
    if fast:
        rows.append(
            {
                "target": f"≥ {TARGET_FPS:.0f} frames/s to one client, full default frame",
                "measured": f"{fast['fps']:.1f} frames/s (fps=60 asked)",
                "met": fast["fps"] >= TARGET_FPS,
            }
        )
    default = single.get("default-fps20")
    if default:
        rows.append(
            {
                "target": f"≤ {TARGET_FRAME_BYTES / 1000:.0f} kB per frame (default params)",
                "measured": f"{default['bytes_mean'] / 1000:.1f} kB",
                "met": default["bytes_mean"] <= TARGET_FRAME_BYTES,
            }
        )
    judged = [s for s in (default, fast) if s]
    if judged:
        worst = max(s["latency"]["p99_ms"] for s in judged)
        rows.append(
            {
                "target": f"one-client latency p99 ≤ {TARGET_P99_MS:.0f} ms (default frame)",
                "measured": f"{worst:.1f} ms (worst of fps=20 and fps=60)",
                "met": worst <= TARGET_P99_MS,
            }
        )
    conc = results.get("concurrency")
    if conc and conc.get("levels"):
        best = conc["max_passing"]
        tried = max(level["n"] for level in conc["levels"])
        capped = all(level["passed"] for level in conc["levels"])
        rows.append(
            {
                "target": f"≥ {TARGET_RUNS} concurrent runs at {conc['fps']} frames/s, "
                f"p99 ≤ {conc['max_p99_ms']:.0f} ms",
                "measured": f"≥ {best} runs (every level passed up to --max-runs {tried})"
                if capped
                else f"{best} runs",
                # a ramp cut short by --max-runs below the target neither meets nor misses it
                "met": True if best >= TARGET_RUNS else (None if capped else False),
            }
        )
    return rows


def _table(headers: list[str], rows: list[list[str]], markdown: bool) -> list[str]:
    if markdown:
        lines = ["| " + " | ".join(headers) + " |"]
        lines.append("|" + "|".join("---" for _ in headers) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return lines
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows)]

    def line(cells: list[str]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}" if value < 10 else f"{value:.1f}"


def _worker_ms(workers_cpu_pct: float, frames_per_s: float) -> float | None:
    """Worker CPU milliseconds spent per frame delivered."""
    return 10 * workers_cpu_pct / frames_per_s if frames_per_s > 0 else None


def render(results: dict[str, Any], markdown: bool = False) -> str:
    """Every section that the results hold."""
    out: list[str] = []

    def title(text: str) -> None:
        out.extend(["", f"### {text}" if markdown else f"== {text}", ""])

    m = results.get("machine", {})
    settings = results.get("settings", {})
    load = m.get("loadavg_start") or []
    summary = (
        f"{m.get('date', '?')} · {m.get('cpu', '?')} · {m.get('nproc', '?')} cores · "
        f"{m.get('mem_gib', '?')} GiB · Python {m.get('python', '?')} · torch {m.get('torch', '?')}"
        f" · websockets {m.get('websockets', '?')} · server workers {settings.get('workers', '?')}"
        f" · load average at start {' '.join(f'{x:.2f}' for x in load) or '?'}"
        + (" · QUICK (smoke run, not figures)" if results.get("quick") else "")
    )
    out.append(summary)

    if results.get("step_time"):
        title("Step time, in-process (1 torch thread)")
        rows = []
        for r in results["step_time"]:
            s, a, paced = r["step"], r["advance"], r.get("advance_paced")
            rows.append(
                [
                    r["name"],
                    _ms(s["mean_ms"]),
                    _ms(s["p50_ms"]),
                    _ms(s["p99_ms"]),
                    _ms(a["mean_ms"]),
                    _ms(a["p99_ms"]),
                    _ms(paced["mean_ms"]) if paced else "–",
                    f"{r['frame_bytes'] / 1000:.1f}",
                ]
            )
        headers = ["network", "step mean ms", "p50", "p99"]
        headers += [f"frame ({r['steps_per_frame']} steps+frame+encode) mean ms", "p99"]
        headers += [f"frame, paced at {r.get('pace_fps', 20):.0f} fps, mean ms", "kB/frame"]
        out += _table(headers, rows, markdown)

    if results.get("single_client"):
        title("One client (real websocket, loopback)")
        rows = []
        for s in results["single_client"]:
            lat = s["latency"]
            rows.append(
                [
                    s["name"],
                    str(s["fps_asked"]),
                    f"{s['fps']:.1f}",
                    f"{s['bytes_mean'] / 1000:.1f}",
                    _ms(lat["p50_ms"]),
                    _ms(lat["p99_ms"]),
                    _ms(lat["max_ms"]),
                    f"{s['cpu']['server_cpu_pct']:.0f} / {s['cpu']['workers_cpu_pct']:.0f}",
                    _ms(_worker_ms(s["cpu"]["workers_cpu_pct"], s["fps"])),
                ]
            )
        headers = ["frame", "fps asked", "frames/s", "kB/frame", "latency p50 ms", "p99", "max"]
        headers += ["server / workers CPU %", "worker CPU ms/frame"]
        out += _table(headers, rows, markdown)

    conc = results.get("concurrency")
    if conc and conc.get("levels"):
        title(
            f"Concurrent runs (fps={conc['fps']}, steps_per_frame={conc['steps_per_frame']}; "
            f"pass: p99 ≤ {conc['max_p99_ms']:.0f} ms and every client ≥ {conc['min_fps']} "
            f"frames/s)"
        )
        rows = []
        for lv in conc["levels"]:
            lat = lv["latency"]
            rows.append(
                [
                    str(lv["n"]),
                    ("pass" if lv["passed"] else "FAIL") + ("" if lv["attempts"] == 1 else " ²"),
                    f"{lv['fps_min']:.2f}",
                    f"{lv['fps_mean']:.2f}",
                    _ms(lat["p50_ms"]),
                    _ms(lat["p99_ms"]),
                    _ms(lat["max_ms"]),
                    _ms(lv["max_gap_ms"]),
                    f"{lv['server_cpu_pct']:.0f}",
                    f"{lv['workers_cpu_pct']:.0f}",
                    _ms(_worker_ms(lv["workers_cpu_pct"], lv["frames_per_s_total"])),
                    f"{lv['client_cpu_pct']:.0f}",
                    f"{lv['other_cpu_pct']:.0f}",
                    f"{lv['machine_busy_pct']:.0f}",
                ]
            )
        headers = ["runs", "result", "frames/s min", "mean", "latency p50 ms", "p99", "max"]
        headers += ["longest gap ms", "server CPU %", "workers CPU %", "worker CPU ms/frame"]
        headers += ["client CPU %", "other CPU %", "machine busy %"]
        out += _table(headers, rows, markdown)
        out.append("")
        best = conc["max_passing"]
        out.append(
            f"Largest passing: {best} concurrent runs"
            if best
            else f"No level passed (the first was {conc['levels'][0]['n']} runs)"
        )
        failed = [lv for lv in conc["levels"] if not lv["passed"]]
        if failed:
            out.append(f"First failure at {failed[0]['n']} runs: {failed[0]['reason']}")
        worst_lag = max(lv.get("client_loop_lag_ms", 0.0) for lv in conc["levels"])
        worst_cpu = max(lv["client_cpu_pct"] for lv in conc["levels"])
        out.append(
            f"Client side: at most {worst_cpu:.0f} % CPU and {worst_lag:.1f} ms event-loop lag "
            f"({conc.get('client_procs', 1)} client process(es))."
        )
        lagging = [str(lv["n"]) for lv in conc["levels"] if lv.get("client_loop_lag_ms", 0) > 20]
        if lagging:
            out.append(
                f"Warning: the client's event loop lagged > 20 ms at {', '.join(lagging)} runs "
                "(the machine was short of CPU); latencies there include the client's own delay."
            )
        out.append(
            "CPU % is of one core (200 = two cores busy); other = the rest of the machine "
            "(load not from this benchmark); ² = failed once and was measured again."
        )

    if conc and conc.get("broken"):
        broken = conc["broken"]
        out += ["", f"The harness could not measure {broken['n']} runs: {broken['reason']}"]

    rows_t = targets(results)
    if rows_t:
        title("Targets")
        verdict = {True: "yes", False: "NO", None: "not tried"}
        rows = [[t["target"], t["measured"], verdict[t["met"]]] for t in rows_t]
        out += _table(["target", "measured", "met"], rows, markdown)
    return "\n".join(out).strip() + "\n"
