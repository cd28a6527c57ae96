"""The `layerwise` command: serve, bench."""

from __future__ import annotations

import argparse
import sys

from app.config import get_settings


def serve(args: argparse.Namespace) -> int:
    """Serve the app with uvicorn (websocket compression off: frames are compressed data)."""
    import uvicorn

    from app.main import create_app

    settings = get_settings()
    uvicorn.run(
        create_app(settings),
        host=args.host or settings.host,
        port=args.port or settings.port,
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        ws_max_size=1 << 20,
        log_level=args.log_level,
        access_log=args.log_level == "debug",
        lifespan="on",
    )
    return 0


def bench(args: argparse.Namespace) -> int:
    """Run the benchmarks and print their table."""
    from bench.run import main as bench_main

    return bench_main(args.rest)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `layerwise` console script."""
    parser = argparse.ArgumentParser(prog="layerwise", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="serve the web app")
    p.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default 8000)")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.set_defaults(func=serve)
    p = sub.add_parser(
        "bench",
        help="run the benchmarks (real websocket clients on loopback)",
        description="Options after `bench` (--quick, --duration, …) go to bench/run.py.",
    )
    p.set_defaults(func=bench)
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "bench":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.rest = rest
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
