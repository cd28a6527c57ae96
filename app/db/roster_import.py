"""A class roster from CSV: existing accounts join as learners, other emails are invited.

The file has an ``email`` column and an optional ``name`` column, with or without a header
line, separated by commas or semicolons, at most MAX_ROSTER_LINES lines. Every line gets an
outcome (added, invited, already there, refused with its reason) and line numbers count
from the file's first line, the header included. Lines are read in full before anything is
written, and the writes share the caller's transaction: a roster is applied whole or not at
all.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.classes import STAFF_ROLES, Class, ClassInvite
from app.db.models import EMAIL, User, audit
from app.db.roster import (
    MAX_NAME,
    MAX_ROSTER_LINES,
    RosterError,
    add_member,
    membership,
)

EMAIL_HEADERS = ("email", "e-mail", "email address", "mail")
NAME_HEADERS = ("name", "display name", "display_name", "full name", "student")
OUTCOMES = ("added", "invited", "already", "refused")


@dataclass(frozen=True)
class RosterLine:
    """One line of the file: its number, the email as written and the name, if any."""

    number: int
    email: str
    name: str


@dataclass(frozen=True)
class LineOutcome:
    """What became of one line."""

    number: int
    email: str
    outcome: str  # one of OUTCOMES
    reason: str = ""


@dataclass
class ImportReport:
    """Every line's outcome, in file order."""

    lines: list[LineOutcome] = field(default_factory=list)

    def of(self, outcome: str) -> list[LineOutcome]:
        """The lines with this outcome."""
        return [line for line in self.lines if line.outcome == outcome]

    def counts(self) -> dict[str, int]:
        """How many lines had each outcome."""
        return {outcome: len(self.of(outcome)) for outcome in OUTCOMES}


def parse_roster(text: str) -> list[RosterLine]:
    """The non-blank lines of a roster file, or RosterError when it cannot be read."""
    text = text.removeprefix("\ufeff")
    physical = text.splitlines()
    if len(physical) > MAX_ROSTER_LINES:
        raise RosterError(
            "roster",
            f"the roster has {len(physical)} lines; at most {MAX_ROSTER_LINES} are taken at once",
        )
    first = next((line for line in physical if line.strip()), None)
    if first is None:
        raise RosterError("roster", "the roster is empty: one email per line, optionally a name")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(physical, delimiter=delimiter, skipinitialspace=True, strict=True)
    email_col, name_col, lines = -1, -1, []
    try:
        for row in reader:
            cells = [cell.strip() for cell in row]
            if not any(cells):
                continue
            if email_col < 0:  # the first line: a header, or the first learner
                header = [cell.lower() for cell in cells]
                if any(h in EMAIL_HEADERS for h in header):
                    email_col = next(i for i, h in enumerate(header) if h in EMAIL_HEADERS)
                    name_col = next((i for i, h in enumerate(header) if h in NAME_HEADERS), -1)
                    continue
                email_col = next((i for i, c in enumerate(cells) if "@" in c), 0)
                name_col = next((i for i in range(len(cells)) if i != email_col), -1)
            email = cells[email_col] if email_col < len(cells) else ""
            name = cells[name_col] if 0 <= name_col < len(cells) else ""
            if email or name:
                lines.append(RosterLine(reader.line_num, email, name))
    except csv.Error as exc:
        raise RosterError("roster", f"line {reader.line_num} cannot be read: {exc}") from None
    return lines


def _outcome(
    db: Session,
    klass: Class,
    line: RosterLine,
    seen: dict[str, int],
    actor_id: int,
    now: datetime,
) -> LineOutcome:
    email = line.email.lower()

    def result(outcome: str, reason: str = "") -> LineOutcome:
        return LineOutcome(line.number, line.email, outcome, reason)

    if len(email) > 254 or not EMAIL.match(email):
        return result("refused", "not an email address" if email else "no email on this line")
    if email in seen:
        return result("refused", f"duplicate of line {seen[email]}")
    seen[email] = line.number
    name = " ".join(line.name.split())
    if len(name) > MAX_NAME or not name.isprintable():
        return result("refused", f"the name is longer than {MAX_NAME} characters")
    user = db.scalar(select(User).where(User.email == email))
    if user is not None:
        row = membership(db, class_id=klass.id, user_id=user.id)
        if user.role == "admin" or (row is not None and row.role in STAFF_ROLES):
            return result("refused", "staff account: already teaches this class")
        if row is not None:
            return result("already", "already a learner")
        add_member(db, klass=klass, user=user, role="learner", actor_id=actor_id, now=now)
        return result("added")
    invited = db.scalar(
        select(ClassInvite).where(ClassInvite.class_id == klass.id, ClassInvite.email == email)
    )
    if invited is not None:
        return result("already", "already invited")
    db.add(
        ClassInvite(
            class_id=klass.id,
            email=email,
            display_name=name or None,
            created_by=actor_id,
            created_at=now,
        )
    )
    db.flush()
    return result("invited", "no account yet: joins on sign-up")


def import_roster(
    db: Session, *, klass: Class, text: str, actor_id: int, now: datetime
) -> ImportReport:
    """Apply a roster file to the class (flushed, not committed) and say what became of it."""
    if klass.archived_at is not None:
        raise RosterError("roster", "the class is archived: unarchive it to change its roster")
    lines = parse_roster(text)
    report = ImportReport()
    seen: dict[str, int] = {}
    for line in lines:
        report.lines.append(_outcome(db, klass, line, seen, actor_id, now))
    audit(db, actor_id, "class.roster.import", "class", klass.id, report.counts(), now=now)
    db.flush()
    return report
