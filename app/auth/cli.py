"""The `layerwise db upgrade`, `layerwise create-user` and `layerwise set-role` subcommands."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from app.config import get_settings
from app.db.models import ROLES


def db_upgrade(args: argparse.Namespace) -> int:
    """Apply every migration to the configured database."""
    from sqlalchemy.exc import OperationalError

    from app.db.engine import database_url, upgrade

    url = database_url(get_settings())
    try:
        upgrade(url)
    except OperationalError as exc:  # unreachable, refused, wrong password, unwritable file
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        print(
            f"layerwise: cannot migrate the database at {_masked(url)}: {reason}", file=sys.stderr
        )
        return 1
    print(f"database at head: {_masked(url)}")
    return 0


def _masked(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise SystemExit("layerwise: no terminal to ask for the password; use --password-stdin")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise SystemExit("layerwise: the two passwords differ")
    return first


def create_user_command(args: argparse.Namespace) -> int:
    """Create an account with the given role (the database is migrated first)."""
    from app.auth.accounts import AccountError, create_user
    from app.db.engine import database_url, make_engine, make_sessionmaker, upgrade

    settings = get_settings()
    url = database_url(settings)
    password = _read_password(args.password_stdin)
    upgrade(url)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as db:
            try:
                user = create_user(
                    db,
                    settings,
                    email=args.email,
                    password=password,
                    display_name=args.name,
                    role=args.role,
                )
            except AccountError as exc:
                print(f"layerwise: {exc.field}: {exc.message}", file=sys.stderr)
                return 2
            db.commit()
            print(f"created {user.role} {user.email} (id {user.id})")
    finally:
        engine.dispose()
    return 0


def set_role_command(args: argparse.Namespace) -> int:
    """Change an account's role (e.g. make a teacher an instructor); audit-logged."""
    from app.auth.accounts import find_user
    from app.db.engine import database_url, make_engine, make_sessionmaker, upgrade
    from app.db.models import audit

    url = database_url(get_settings())
    upgrade(url)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as db:
            user = find_user(db, args.email)
            if user is None:
                print(f"layerwise: no account for {args.email.strip().lower()}", file=sys.stderr)
                return 2
            if user.role == args.role:
                print(f"{user.email} is already {args.role}")
                return 0
            old, user.role = user.role, args.role
            audit(db, None, "user.role", "user", user.id, {"from": old, "to": args.role})
            db.commit()
            print(f"{user.email}: {old} -> {args.role}")
    finally:
        engine.dispose()
    return 0


def add_commands(sub: Any) -> None:
    """Register `db upgrade`, `create-user` and `set-role` on the `layerwise` subcommands."""
    p = sub.add_parser("db", help="the database")
    db_sub = p.add_subparsers(dest="db_command", required=True)
    p = db_sub.add_parser("upgrade", help="apply the migrations (SQLite under the data dir)")
    p.set_defaults(func=db_upgrade)
    p = sub.add_parser("create-user", help="create an account (e.g. the first admin)")
    p.add_argument("--email", required=True, help="the login email (stored lower-case)")
    p.add_argument("--role", choices=ROLES, default="learner", help="default: learner")
    p.add_argument("--name", default=None, help="display name (default: the email's local part)")
    p.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin's first line"
    )
    p.set_defaults(func=create_user_command)
    p = sub.add_parser("set-role", help="change an account's role (learner, instructor, admin)")
    p.add_argument("email", help="the account's login email")
    p.add_argument("role", choices=ROLES, help="the new role")
    p.set_defaults(func=set_role_command)
