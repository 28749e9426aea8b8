"""The case's SLA clock: one durable timer for the next light change among all its running items.

Before it (patch SLA_CLOCK_PER_CASE), every running item waited for its own next light change with a timer
of its own, and cancelled it when it finished first, as nearly every item does: two history events per item
for lights that almost never turn (days away while items take seconds). Now the case keeps one timer, armed
for the earliest next change among its running, unpaused items, and starts another only when that earliest
moment moves before every timer still pending (an item started, or resumed after 补正, with an earlier turn).

A timer is never cancelled, neither because its item finished nor because an earlier one was armed: a
cancellation is an event of its own, while a timer that fires with nothing due only arms the next one, and
one still pending when the case completes costs nothing. When a timer fires, every item whose moment has come
turns its light exactly as its own timer used to make it (`ItemRun.turn_due_light`): yellow, or red with the
breach recorded, counted and escalated.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

from temporalio import workflow

SLA_CLOCK_PER_CASE = "sla-clock-per-case"
"""Patch: histories recorded before it kept a timer per running item (ItemRun._watch_sla)."""


class TimedItem(Protocol):
    """What the clock needs from an item."""

    def next_turn(self) -> datetime | None:
        """When its light turns next; None while its clock stands (not running, waiting for the citizen, red)."""
        ...

    def turn_due_light(self) -> None:
        """Turns its light as far as the moment has come."""
        ...


class SlaClock:
    def __init__(self, items: Iterable[TimedItem]) -> None:
        self._items = list(items)
        self._pending: list[datetime] = []
        """When each timer started and not yet fired will fire."""
        self._timers: set[asyncio.Task[None]] = set()
        """The timers' tasks, kept referenced until they end."""

    def deadline_moved(self) -> None:
        """An item's deadline was set or shifted: arms a timer if its next turn is the earliest and none covers it."""
        self._arm_earliest()

    def _arm_earliest(self) -> None:
        turns = [turn for item in self._items if (turn := item.next_turn()) is not None]
        if not turns:
            return
        earliest = min(turns)
        if any(pending <= earliest for pending in self._pending):
            return  # a timer fires by then, and arms the next one
        # Positive: an item's light is set for the present when its deadline is applied, and turned up to the
        # present when a timer fires, so every next turn lies ahead.
        delay = max(earliest - workflow.now(), timedelta(0))
        self._pending.append(earliest)
        timer = asyncio.create_task(self._fire(earliest, delay))
        self._timers.add(timer)
        timer.add_done_callback(self._timers.discard)

    async def _fire(self, moment: datetime, delay: timedelta) -> None:
        await workflow.sleep(delay)
        self._pending.remove(moment)
        for item in self._items:
            item.turn_due_light()
        self._arm_earliest()
