"""The simulated people's diary: what each will do, and when in simulated time."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

Action = Callable[[], Awaitable[None]]


@dataclass(order=True)
class _Entry:
    when: datetime
    order: int
    action: Action = field(compare=False)


class Agenda:
    def __init__(self) -> None:
        self._heap: list[_Entry] = []
        self._order = itertools.count()

    def at(self, when: datetime, action: Action) -> None:
        heapq.heappush(self._heap, _Entry(when, next(self._order), action))

    def due(self, now: datetime) -> list[Action]:
        """Everything planned up to `now`, in order; taken off the diary."""
        actions = []
        while self._heap and self._heap[0].when <= now:
            actions.append(heapq.heappop(self._heap).action)
        return actions

    def __len__(self) -> int:
        return len(self._heap)
