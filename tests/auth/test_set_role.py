"""`layerwise set-role`, run as a real command on a temp data dir."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.db.engine import make_sessionmaker
from app.db.models import AuditLog
from tests.auth.test_cli import _layerwise, _users
from tests.dbtools import engine_for


def _audit(data_dir: Path) -> list[tuple[str, str | None, dict]]:
    url = f"sqlite:///{data_dir / 'layerwise.db'}"
    with engine_for(url) as engine, make_sessionmaker(engine)() as db:
        rows = db.scalars(select(AuditLog).where(AuditLog.action == "user.role"))
        return [(r.action, r.target_id, r.detail) for r in rows]


def test_set_role_makes_an_instructor_and_audits_it(tmp_path: Path) -> None:
    made = _layerwise(
        tmp_path, "create-user", "--email", "t@school.org", "--password-stdin",
        stdin="a long enough secret\n",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    changed = _layerwise(tmp_path, "set-role", "T@School.org", "instructor")
    assert changed.returncode == 0, changed.stderr
    assert "t@school.org: learner -> instructor" in changed.stdout
    (user,) = _users(tmp_path)
    assert user.role == "instructor"
    assert _audit(tmp_path) == [
        ("user.role", str(user.id), {"from": "learner", "to": "instructor"})
    ]
    again = _layerwise(tmp_path, "set-role", "t@school.org", "instructor")
    assert again.returncode == 0 and "already instructor" in again.stdout
    assert len(_audit(tmp_path)) == 1


def test_set_role_unknown_account_or_role_refused(tmp_path: Path) -> None:
    missing = _layerwise(tmp_path, "set-role", "nobody@school.org", "admin")
    assert missing.returncode == 2 and "no account for nobody@school.org" in missing.stderr
    bad = _layerwise(tmp_path, "set-role", "nobody@school.org", "root")
    assert bad.returncode == 2 and "invalid choice: 'root'" in bad.stderr
    assert _users(tmp_path) == []
