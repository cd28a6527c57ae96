"""The `layerwise` command: serve, bench."""

from __future__ import annotations

import argparse
import logging
import socket
import sys

from app.config import get_settings

# Kernel send buffer per connection: a client that stops reading holds back only a few
# frames in the kernel (the app itself keeps at most one waiting frame per socket).
SEND_BUFFER_BYTES = 256 * 1024


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket whose accepted connections inherit a small send buffer."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SystemExit(f"layerwise: cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock


def serve(args: argparse.Namespace) -> int:
    """Serve the app with uvicorn (websocket compression off: frames are compressed data)."""
    import uvicorn

    from app.main import create_app

    settings = get_settings()
    host = args.host or settings.host
    port = args.port or settings.port
    config = uvicorn.Config(
        create_app(settings),
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        ws_max_size=1 << 20,
        log_level=args.log_level,
        access_log=args.log_level == "debug",
        lifespan="on",
    )
    sock = listening_socket(host, port)
    logging.getLogger("uvicorn.error").info("Layerwise on http://%s:%d", host, port)
    uvicorn.Server(config).run(sockets=[sock])
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
