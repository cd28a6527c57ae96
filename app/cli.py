"""The `layerwise` command: serve, bench, curriculum check, backup, restore."""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from pathlib import Path
from typing import Any

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


def lab_validators() -> dict[str, Any]:
    """Per lab id, a callable that raises when params (merged over the lab's defaults) are
    refused by its Params or its compute budget."""
    from app.labs.registry import LABS

    def validator(lab: Any) -> Any:
        return lambda params: lab.validate(params, lab.Params())

    return {lab_id: validator(lab) for lab_id, lab in LABS.items()}


def lab_metric_names(curriculum: Any) -> dict[str, set[str]]:
    """Per lab that a challenge uses, the metric names its frames carry: the lab's declared
    ``metrics`` if it has them, else those of a frame at its defaults, widened by a frame
    under a challenge's own params when that challenge names a metric the defaults lack."""
    from app.curriculum.schema import LabCheck
    from app.curriculum.validate import challenge_config
    from app.labs.registry import LABS

    def frame_metrics(lab: Any, params: dict[str, Any]) -> set[str]:
        try:
            return set(lab(lab.validate(params, lab.Params())).frame().metrics)
        except Exception:  # refused params are reported by validate() itself
            return set()

    names: dict[str, set[str]] = {}
    for lesson in curriculum.lessons.values():
        for check in lesson.checks:
            lab = LABS.get(check.require.lab) if isinstance(check, LabCheck) else None
            if lab is None:
                continue
            declared = getattr(lab, "metrics", None)
            if declared:
                names[lab.id] = set(declared)
                continue
            known = names.setdefault(lab.id, frame_metrics(lab, {}))
            if not set(check.require.metrics) <= known:
                known |= frame_metrics(lab, challenge_config(lesson, check))
    return {lab_id: found for lab_id, found in names.items() if found}


def curriculum_check(args: argparse.Namespace) -> int:
    """Validate curriculum/: schema, references, cycles, generators against their solvers."""
    from app.curriculum.loader import CurriculumError, load_curriculum
    from app.curriculum.validate import validate

    if args.seeds < 1:
        print("curriculum check: --seeds must be at least 1", file=sys.stderr)
        return 2
    try:
        curriculum = load_curriculum(args.root)
    except CurriculumError as exc:
        problems = exc.problems
    else:
        metrics = None if args.skip_metrics else lab_metric_names(curriculum)
        problems = validate(curriculum, lab_validators(), metrics, seeds=args.seeds)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"curriculum check: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    checks = sum(len(lesson.checks) for lesson in curriculum.lessons.values())
    print(
        f"curriculum OK: {len(curriculum.concepts)} concepts, {len(curriculum.lessons)} "
        f"lessons, {checks} checks; generators agree with their solvers over {args.seeds} seeds"
    )
    return 0


def backup_command(args: argparse.Namespace) -> int:
    """Back up the configured database to PATH (default: a dated file under data_dir/backups)."""
    from app.backup import BackupError, backup, default_path, engine_kind
    from app.db.engine import database_url

    settings = get_settings()
    url = database_url(settings)
    try:
        path = args.path or default_path(settings.data_dir, engine_kind(url))
        written = backup(url, path)
    except BackupError as exc:
        print(f"layerwise backup: {exc}", file=sys.stderr)
        return 1
    print(f"backup written: {written} ({written.stat().st_size} bytes)")
    return 0


def restore_command(args: argparse.Namespace) -> int:
    """Restore the configured database from PATH, then migrate it to the newest schema."""
    from app.backup import BackupError, restore
    from app.db.engine import database_url

    url = database_url(get_settings())
    try:
        restore(url, args.path, force=args.force)
    except BackupError as exc:
        print(f"layerwise restore: {exc}", file=sys.stderr)
        return 1
    print(f"restored {args.path} and migrated the database to the newest schema")
    return 0


def _add_backup_commands(sub: Any) -> None:
    p = sub.add_parser(
        "backup",
        help="back up the database (SQLite online copy, or pg_dump for PostgreSQL)",
        description="Safe while the server runs. Exit 0: written; 1: failed (nothing written).",
    )
    p.add_argument(
        "path",
        nargs="?",
        type=Path,
        default=None,
        help="where to write it (default: <data dir>/backups/layerwise-<UTC time>.sqlite3|.pgdump)",
    )
    p.set_defaults(func=backup_command)
    p = sub.add_parser(
        "restore",
        help="restore the database from a backup, then migrate it",
        description="Stop the server first. Exit 0: restored; 1: refused or failed (the "
        "database is left as it was).",
    )
    p.add_argument("path", type=Path, help="a file written by `layerwise backup`")
    p.add_argument(
        "--force", action="store_true", help="replace a database that already holds rows"
    )
    p.set_defaults(func=restore_command)


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
    p = sub.add_parser("curriculum", help="work with curriculum/")
    curriculum_sub = p.add_subparsers(dest="curriculum_command", required=True)
    p = curriculum_sub.add_parser("check", help="validate the curriculum (exit 1 on problems)")
    p.add_argument("--root", type=Path, default=None, help="curriculum folder (default: repo's)")
    p.add_argument("--seeds", type=int, default=200, help="seeds per generator (default 200)")
    p.add_argument(
        "--skip-metrics", action="store_true", help="do not build labs to learn metric names"
    )
    p.set_defaults(func=curriculum_check)
    _add_backup_commands(sub)
    from app.auth.cli import add_commands

    add_commands(sub)
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "bench":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.rest = rest
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
