"""`layerwise bench`: measure the two-moons lab in-process and a real server over websockets.

    python -m bench.run                # full pass (~2–4 min), writes bench/results/latest.json
    python -m bench.run --quick        # smoke run (~30 s), writes bench/results/quick.json
    python -m bench.run --markdown     # print latest.json's tables as Markdown
    python -m bench.run --update-doc   # put them into docs/benchmarks.md

What is measured, and how, is described in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from bench import machine, report, server, steptime
from bench.common import progress
from bench.ramp import concurrency
from bench.single import single_client
from bench.wsclient import ClientError

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "benchmarks.md"
DOC_BEGIN = "<!-- bench:results:begin (python -m bench.run --update-doc) -->"
DOC_END = "<!-- bench:results:end -->"
SECTIONS = ("step", "single", "concurrency")


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The options, with the defaults that depend on --quick filled in."""
    p = argparse.ArgumentParser(prog="layerwise bench", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="short durations: a smoke run")
    p.add_argument("--duration", type=float, help="seconds measured per figure (default 5)")
    p.add_argument("--warmup", type=float, help="seconds of warm-up before each (default 2)")
    p.add_argument("--max-runs", type=int, help="last concurrency level tried (default 160)")
    p.add_argument("--ramp-start", type=int, default=8, help="first concurrency level")
    p.add_argument("--ramp-step", type=int, default=8, help="runs added per level")
    p.add_argument("--min-fps", type=float, default=9.5, help="pass: every client ≥ this")
    p.add_argument("--max-p99", type=float, default=100.0, help="pass: latency p99 ≤ ms")
    p.add_argument("--no-retry", action="store_true", help="do not re-measure a failing level")
    p.add_argument("--workers", type=int, help="server worker processes (default: the app's)")
    p.add_argument("--client-procs", type=int, help="client processes (default 1, 2 if ≥ 8 cores)")
    p.add_argument(
        "--only", default=",".join(SECTIONS), help=f"comma-separated subset of {SECTIONS}"
    )
    p.add_argument("--output", type=Path, help="results JSON (default bench/results/latest.json)")
    p.add_argument("--markdown", action="store_true", help="print the results JSON as Markdown")
    p.add_argument(
        "--update-doc", action="store_true", help="write the results JSON into docs/benchmarks.md"
    )
    args = p.parse_args(argv)
    args.only = {s.strip() for s in args.only.split(",") if s.strip()}
    if unknown := args.only - set(SECTIONS):
        p.error(f"--only: unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    if args.duration is None:
        args.duration = 1.5 if args.quick else 5.0
    if args.warmup is None:
        args.warmup = 0.5 if args.quick else 2.0
    if args.max_runs is None:
        args.max_runs = 16 if args.quick else 160
    if args.client_procs is None:
        args.client_procs = 2 if (os.cpu_count() or 1) >= 8 else 1
    if args.output is None:
        args.output = RESULTS / ("quick.json" if args.quick else "latest.json")
    return args


def update_doc(markdown: str, doc: Path = DOC) -> None:
    """Replace the generated section of docs/benchmarks.md."""
    text = doc.read_text()
    begin, end = text.index(DOC_BEGIN) + len(DOC_BEGIN), text.index(DOC_END)
    doc.write_text(text[:begin] + "\n" + markdown + text[end:])


def main(argv: list[str]) -> int:
    """Run the selected benchmarks, write the JSON, print the table; 1 if the harness broke."""
    args = parse_args(argv)
    if args.markdown or args.update_doc:
        if not args.output.exists():
            print(f"no results at {args.output}; run the benchmark first", file=sys.stderr)
            return 1
        markdown = report.render(json.loads(args.output.read_text()), markdown=True)
        if args.update_doc:
            update_doc(markdown)
        else:
            print(markdown, end="")
        return 0

    try:
        results = measure(args)
    except (RuntimeError, ClientError, OSError) as exc:
        print(f"layerwise bench: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1) + "\n")
    print(report.render(results), end="")
    print(f"\nresults: {args.output}")
    broken = results.get("concurrency", {}).get("broken")
    return 1 if broken else 0


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Every selected benchmark; the server is started for the socket ones and stopped."""
    results: dict[str, Any] = {
        "schema": 1,
        "quick": args.quick,
        "machine": machine.describe(),
        "settings": {
            k: getattr(args, k)
            for k in ("duration", "warmup", "max_runs", "ramp_start", "ramp_step", "client_procs")
        },
    }
    if "step" in args.only:
        progress("step time, in-process …")
        steps, frames, paced = (300, 30, 20) if args.quick else (3000, 300, 100)
        results["step_time"] = steptime.measure(steps, frames, paced)
    if args.only & {"single", "concurrency"}:
        from app.config import Settings

        workers = args.workers if args.workers is not None else Settings().workers
        results["settings"]["workers"] = workers
        env = {
            "workers": str(workers),
            # room for every level of the ramp, and runs freed the moment their socket closes
            "max_active_runs": str(max(64, args.max_runs + 8)),
            "detached_grace_s": "0",
        }
        progress(f"starting the server ({workers} workers) …")
        srv = server.start(env)
        try:
            if "single" in args.only:
                results["single_client"] = single_client(srv, args)
            if "concurrency" in args.only:
                progress("concurrency ramp …")
                results["concurrency"] = concurrency(srv, args)
            if srv.process.poll() is not None:
                raise RuntimeError(f"the server died:\n{srv.log_tail()}")
        finally:
            server.stop(srv)
    results["machine"]["loadavg_end"] = machine.loadavg()
    results["targets"] = report.targets(results)
    return results


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
