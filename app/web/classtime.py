"""Class time: dates entered and shown in a class's time zone, stored as UTC.

An instructor types a due date as wall-clock time in the class's zone (an HTML
``datetime-local`` value such as ``2026-03-08T23:59``); the tables keep aware UTC datetimes
(app.db.base.UTCDateTime). Daylight-saving changes make two kinds of wall time awkward:

- a time in the spring-forward gap (02:30 on the night New York moves from 02:00 to 03:00)
  never happens, so it is refused with the time that the clock shows an instant later;
- a time in the fall-back overlap (01:30 on the night New York goes from 02:00 back to 01:00)
  happens twice; it means the first occurrence (``fold=0``, still on summer time), so a
  deadline never silently slips by an hour.

Pure functions with the standard library's ``zoneinfo``: no database, no clock of their own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

INPUT_FORMAT = "%Y-%m-%dT%H:%M"  # what a datetime-local input sends and shows


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (Europe/Paris); ValueError naming a zone that is not one."""
    cleaned = (name or "").strip()
    if not cleaned:
        raise ValueError("no time zone given; use an IANA name such as Europe/Paris or UTC")
    try:
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"unknown time zone {cleaned!r}; use an IANA name such as Europe/Paris or UTC"
        ) from None


def shown_zone(name: str) -> str:
    """``name`` if it is a known zone, else "UTC" (to show dates in while it is fixed)."""
    try:
        return zone(name).key
    except ValueError:
        return "UTC"


def parse_local(local: str) -> datetime:
    """A ``datetime-local`` value (``YYYY-MM-DDTHH:MM``, seconds allowed) as naive wall time."""
    text = (local or "").strip()
    if not text:
        raise ValueError("no date and time given; use the form 2026-03-08T23:59")
    try:
        wall = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date and time; use the form 2026-03-08T23:59"
        ) from None
    if wall.tzinfo is not None or "T" not in text:
        raise ValueError(f"{text!r} is not a local date and time; use the form 2026-03-08T23:59")
    return wall.replace(microsecond=0)


def to_utc(local: str, tz_name: str) -> datetime:
    """The aware UTC instant of wall time ``local`` in zone ``tz_name``.

    A wall time inside a spring-forward gap does not exist: ValueError, naming the time the
    clock shows instead (the hour after, for a one-hour gap). A wall time inside a fall-back
    overlap is taken at its first occurrence (``fold=0``).
    """
    tz = zone(tz_name)
    wall = parse_local(local)
    instant = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    back = instant.astimezone(tz).replace(tzinfo=None)
    if back != wall:
        raise ValueError(
            f"{wall:%Y-%m-%d %H:%M} does not exist in {tz.key}: the clocks jump forward "
            f"over it; try {back:%H:%M} ({back:%Y-%m-%dT%H:%M})"
        )
    return instant


def _aware(utc: datetime) -> datetime:
    if utc.tzinfo is None:
        raise ValueError("expected an aware datetime (UTC), got a naive one")
    return utc


def to_local_input(utc: datetime, tz_name: str) -> str:
    """The ``datetime-local`` value showing ``utc`` as wall time in ``tz_name``."""
    return _aware(utc).astimezone(zone(tz_name)).strftime(INPUT_FORMAT)


def show(utc: datetime, tz_name: str) -> str:
    """``utc`` for people, in ``tz_name`` with its abbreviation: "Sun 8 Mar 2026, 23:59 CET"."""
    local = _aware(utc).astimezone(zone(tz_name))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname()}"


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def relative(utc: datetime, now: datetime) -> str:
    """How far ``utc`` is from ``now``: "in 3 days", "2 hours ago", "now".

    Whole units, rounded down (a deadline 47 hours away is "in 1 day"): minutes under an
    hour, hours under a day, then days.
    """
    delta = _aware(utc) - _aware(now)
    span = abs(delta)
    if span < timedelta(minutes=1):
        return "now"
    if span < timedelta(hours=1):
        amount = _count(span // timedelta(minutes=1), "minute")
    elif span < timedelta(days=1):
        amount = _count(span // timedelta(hours=1), "hour")
    else:
        amount = _count(span // timedelta(days=1), "day")
    return f"in {amount}" if delta > timedelta(0) else f"{amount} ago"
