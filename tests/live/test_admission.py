"""Admission control: N active runs, then a line with told positions, then a refusal."""

from __future__ import annotations

import pytest

from app.live.admission import Admission, Busy


class Told:
    """Records every position a ticket is told."""

    def __init__(self) -> None:
        self.positions: list[int] = []

    def __call__(self, position: int) -> None:
        self.positions.append(position)


def test_request_admits_while_room() -> None:
    admission = Admission(max_active=2, max_queued=1)
    a, b = Told(), Told()
    ta, tb = admission.request(a), admission.request(b)
    assert ta.admitted.is_set()
    assert tb.admitted.is_set()
    assert admission.active == 2
    assert a.positions == b.positions == []


def test_request_queues_with_positions() -> None:
    admission = Admission(max_active=1, max_queued=3)
    admission.request(Told())
    waiting = [Told() for _ in range(3)]
    tickets = [admission.request(told) for told in waiting]
    assert not any(t.admitted.is_set() for t in tickets)
    assert [told.positions for told in waiting] == [[1], [2], [3]]
    assert admission.active == 1


def test_request_beyond_queue_busy() -> None:
    admission = Admission(max_active=1, max_queued=1)
    admission.request(Told())
    admission.request(Told())
    with pytest.raises(Busy):
        admission.request(Told())
    assert admission.active == 1
    assert len(admission.queue) == 1


def test_request_without_queue_busy() -> None:
    admission = Admission(max_active=1, max_queued=0)
    admission.request(Told())
    with pytest.raises(Busy):
        admission.request(Told())


def test_release_admits_next_and_moves_line() -> None:
    admission = Admission(max_active=1, max_queued=3)
    first = admission.request(Told())
    told = [Told() for _ in range(3)]
    second, third, fourth = (admission.request(t) for t in told)
    admission.release(first)
    assert second.admitted.is_set()
    assert not third.admitted.is_set()
    assert not first.admitted.is_set()
    assert admission.active == 1
    assert told[1].positions[-1] == 1
    assert told[2].positions[-1] == 2
    admission.release(second)
    assert third.admitted.is_set()
    assert told[2].positions[-1] == 1
    assert admission.queue == [fourth]


def test_release_queued_ticket_leaves_line() -> None:
    admission = Admission(max_active=1, max_queued=3)
    active = admission.request(Told())
    told = [Told() for _ in range(3)]
    tickets = [admission.request(t) for t in told]
    admission.release(tickets[0])
    assert admission.queue == tickets[1:]
    assert not tickets[0].admitted.is_set()
    assert told[1].positions[-1] == 1
    assert told[2].positions[-1] == 2
    assert admission.active == 1
    # The line moves on as before: the next release admits the new head.
    admission.release(active)
    assert tickets[1].admitted.is_set()
    assert not tickets[0].admitted.is_set()


def test_release_twice_counts_once() -> None:
    admission = Admission(max_active=2, max_queued=0)
    ticket = admission.request(Told())
    admission.request(Told())
    admission.release(ticket)
    admission.release(ticket)
    assert admission.active == 1


def test_request_after_release_admits_again() -> None:
    admission = Admission(max_active=1, max_queued=0)
    ticket = admission.request(Told())
    admission.release(ticket)
    assert admission.request(Told()).admitted.is_set()
    assert admission.active == 1
