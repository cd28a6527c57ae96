"""Class time: wall time in a zone to UTC and back, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.web.classtime import relative, show, shown_zone, to_local_input, to_utc, zone


def test_zone_names_a_bad_zone() -> None:
    assert zone("Europe/Berlin").key == "Europe/Berlin"
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        zone("Mars/Olympus")
    with pytest.raises(ValueError, match="unknown time zone"):
        zone("../etc/passwd")
    with pytest.raises(ValueError, match="no time zone"):
        zone("  ")
    assert (shown_zone("Asia/Kolkata"), shown_zone("Mars/Olympus")) == ("Asia/Kolkata", "UTC")


def test_to_utc_refuses_the_spring_forward_gap() -> None:
    # New York, 8 Mar 2026: 02:00 EST becomes 03:00 EDT, so 02:30 never happens.
    with pytest.raises(ValueError, match="does not exist in America/New_York") as err:
        to_utc("2026-03-08T02:30", "America/New_York")
    assert "try 03:30" in str(err.value)
    # Either side of the gap is fine: 01:59 EST = 06:59 UTC, 03:00 EDT = 07:00 UTC.
    assert to_utc("2026-03-08T01:59", "America/New_York") == datetime(2026, 3, 8, 6, 59, tzinfo=UTC)
    assert to_utc("2026-03-08T03:00", "America/New_York") == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)


def test_to_utc_takes_the_first_of_an_ambiguous_time() -> None:
    # New York, 1 Nov 2026: 01:30 happens at EDT (UTC-4) and again at EST (UTC-5).
    instant = to_utc("2026-11-01T01:30", "America/New_York")
    assert instant == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert instant.tzinfo is UTC
    assert show(instant, "America/New_York") == "Sun 1 Nov 2026, 01:30 EDT"


@pytest.mark.parametrize(
    ("local", "tz_name", "utc"),
    [
        ("2026-03-29T01:59", "Europe/Berlin", datetime(2026, 3, 29, 0, 59, tzinfo=UTC)),  # CET
        ("2026-03-29T03:00", "Europe/Berlin", datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),  # CEST
        ("2026-07-01T12:00", "Europe/Berlin", datetime(2026, 7, 1, 10, 0, tzinfo=UTC)),
        ("2026-01-15T09:00", "Asia/Kolkata", datetime(2026, 1, 15, 3, 30, tzinfo=UTC)),
        ("2026-01-15T09:00", "Pacific/Auckland", datetime(2026, 1, 14, 20, 0, tzinfo=UTC)),
        ("2026-07-15T09:00", "Pacific/Auckland", datetime(2026, 7, 14, 21, 0, tzinfo=UTC)),
    ],
)
def test_round_trip(local: str, tz_name: str, utc: datetime) -> None:
    # Offsets by hand: CET +1, CEST +2, IST +5:30, NZDT +13 (January), NZST +12 (July).
    assert to_utc(local, tz_name) == utc
    assert to_local_input(utc, tz_name) == local


def test_auckland_gap_is_refused() -> None:
    # 27 Sep 2026: Auckland moves from 02:00 NZST to 03:00 NZDT.
    with pytest.raises(ValueError, match="try 03:15"):
        to_utc("2026-09-27T02:15", "Pacific/Auckland")


def test_the_same_local_deadline_is_different_instants() -> None:
    due = {tz: to_utc("2026-03-08T23:59", tz) for tz in ("Europe/Berlin", "Asia/Kolkata")}
    due["America/New_York"] = to_utc("2026-03-08T23:59", "America/New_York")
    assert due["Asia/Kolkata"] == datetime(2026, 3, 8, 18, 29, tzinfo=UTC)
    assert due["Europe/Berlin"] == datetime(2026, 3, 8, 22, 59, tzinfo=UTC)
    assert due["America/New_York"] == datetime(2026, 3, 9, 3, 59, tzinfo=UTC)  # EDT by then
    assert len(set(due.values())) == 3


def test_show_names_the_zone() -> None:
    instant = datetime(2026, 3, 8, 22, 59, tzinfo=UTC)
    assert show(instant, "Europe/Berlin") == "Sun 8 Mar 2026, 23:59 CET"
    assert show(instant, "Asia/Kolkata") == "Mon 9 Mar 2026, 04:29 IST"
    assert show(instant, "UTC") == "Sun 8 Mar 2026, 22:59 UTC"
    assert show(datetime(2026, 7, 1, 10, 0, tzinfo=UTC), "Europe/Berlin").endswith("12:00 CEST")


@pytest.mark.parametrize(
    "bad", ["", "tomorrow", "2026-03-08", "2026-13-01T10:00", "2026-03-08T10:00+01:00"]
)
def test_to_utc_names_bad_input(bad: str) -> None:
    with pytest.raises(ValueError, match="2026-03-08T23:59"):
        to_utc(bad, "UTC")


def test_relative() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert relative(now + timedelta(days=3, hours=5), now) == "in 3 days"
    assert relative(now - timedelta(hours=2, minutes=59), now) == "2 hours ago"
    assert relative(now + timedelta(minutes=1), now) == "in 1 minute"
    assert relative(now - timedelta(days=1), now) == "1 day ago"
    assert relative(now + timedelta(seconds=30), now) == "now"
    assert relative(now + timedelta(hours=23, minutes=59), now) == "in 23 hours"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        show(datetime(2026, 1, 1), "UTC")
