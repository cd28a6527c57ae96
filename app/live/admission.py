"""Admission control: at most N active runs, then a bounded queue, then a clean refusal."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class Busy(Exception):
    """The server holds its maximum of active and queued runs."""


class Ticket:
    """A place in line; ``on_move(position)`` is told each time the position changes."""

    def __init__(self, on_move: Callable[[int], None]) -> None:
        self.on_move = on_move
        self.admitted = asyncio.Event()


class Admission:
    """Counts active runs and lines up the rest in arrival order."""

    def __init__(self, max_active: int, max_queued: int) -> None:
        self.max_active = max_active
        self.max_queued = max_queued
        self.active = 0
        self.queue: list[Ticket] = []

    def request(self, on_move: Callable[[int], None]) -> Ticket:
        """A ticket that is admitted at once when there is room, queued otherwise.

        Raises Busy when the queue is full too.
        """
        ticket = Ticket(on_move)
        if self.active < self.max_active and not self.queue:
            self.active += 1
            ticket.admitted.set()
        elif len(self.queue) < self.max_queued:
            self.queue.append(ticket)
            on_move(len(self.queue))
        else:
            raise Busy(f"{self.active} runs are active and {len(self.queue)} are waiting")
        return ticket

    def release(self, ticket: Ticket) -> None:
        """Give back an admitted ticket's place, or leave the queue."""
        if ticket in self.queue:
            self.queue.remove(ticket)
            self._moved()
            return
        if ticket.admitted.is_set():
            self.active -= 1
            ticket.admitted.clear()
            self._admit_next()

    def _admit_next(self) -> None:
        while self.queue and self.active < self.max_active:
            ticket = self.queue.pop(0)
            self.active += 1
            ticket.admitted.set()
        self._moved()

    def _moved(self) -> None:
        for position, ticket in enumerate(self.queue, start=1):
            ticket.on_move(position)
