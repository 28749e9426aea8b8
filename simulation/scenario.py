"""What the simulated people and department systems do, and how fast: the assumptions, in one place.

The figures are plausible for a city district's newborn cases, not measured ones: most departments
decide well within their promised working days, with long-tailed (log-normal) handling times so a few
go yellow or red; a few percent of items need a correction (补正) or are rejected; citizens answer
corrections within days; about three in four rate their case, mostly well.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.calendar import is_working_day
from departments.behaviour import DepartmentBehaviour, Outage, StubConfig

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE_OPENS, OFFICE_CLOSES = time(9, 0), time(17, 30)


@dataclass(frozen=True)
class Delay:
    """A log-normal waiting time: `median` hours, `spread` its sigma (0: always the median)."""

    median_hours: float
    spread: float = 0.0

    def draw(self, rng: random.Random) -> timedelta:
        return timedelta(hours=self.median_hours * math.exp(rng.gauss(0, self.spread)))


@dataclass(frozen=True)
class Scenario:
    # The CDC's staff decide vaccination certificates in the platform (standard handling module); their
    # promise is 3 working days, and a backlog now and then makes some late.
    staff_delay: Delay = Delay(median_hours=20, spread=1.0)
    staff_correction_rate: float = 0.06
    staff_reject_rate: float = 0.01
    # Citizens: most answer a correction request within 1-5 days (the item's clock stops meanwhile).
    supplement_rate: float = 0.92
    supplement_days: tuple[float, float] = (1, 5)
    withdraw_rate: float = 0.02
    withdraw_within_hours: float = 48
    rating_rate: float = 0.75
    rating_within_hours: float = 72
    scores: dict[int, float] = field(default_factory=lambda: {5: 0.66, 4: 0.19, 3: 0.08, 2: 0.04, 1: 0.03})
    # Departments answer most bad ratings (整改); some after their 15 working days.
    reply_rate: float = 0.85
    reply_delay: Delay = Delay(median_hours=24 * 7, spread=0.6)
    confirm_rate: float = 0.7
    contest_rate: float = 0.15
    verdict_within_days: float = 5
    weekend_share: float = 0.5
    """Applications on a day off, relative to a working day."""

    def departments(self, starts_at: datetime, ends_at: datetime) -> StubConfig:
        """The department systems: latency in real milliseconds, handling in simulated hours, one outage."""
        outage_start = office_time(starts_at + (ends_at - starts_at) * 0.6) + timedelta(hours=1)
        return StubConfig(
            defaults=DepartmentBehaviour(latency_ms=150, jitter_ms=80),
            departments={
                # Sync REST: answers within the call; a flaky insurance system shows up as retries.
                "health": DepartmentBehaviour(latency_ms=150, jitter_ms=80, correction_rate=0.03, reject_rate=0.005),
                "medical_insurance": DepartmentBehaviour(
                    latency_ms=250, jitter_ms=150, failure_rate=0.05, correction_rate=0.02
                ),
                # Async callback: the police take about two days, some a week; a 5-hour system outage.
                "public_security": DepartmentBehaviour(
                    latency_ms=100,
                    jitter_ms=50,
                    handling_hours=40,
                    handling_spread=0.7,
                    correction_rate=0.07,
                    reject_rate=0.01,
                    outages=[Outage(start=outage_start, end=outage_start + timedelta(hours=5))],
                ),
                # Batch: social security cards are made in runs every 4 hours, the same or the next day.
                # (Each hour a request waits costs six polls of the workflow's batch pull: kept short.)
                "human_resources": DepartmentBehaviour(
                    latency_ms=50,
                    jitter_ms=20,
                    handling_hours=8,
                    handling_spread=0.5,
                    batch_interval_ms=4 * 3_600_000,
                ),
            },
            callback_backoff_ms=200,
            callback_backoff_max_ms=5_000,
        )

    def score(self, rng: random.Random) -> int:
        return rng.choices(list(self.scores), weights=list(self.scores.values()))[0]


def office_time(instant: datetime) -> datetime:
    """`instant` if the office is open then, else the next opening (working days on the Chinese calendar)."""
    local = instant.astimezone(SHANGHAI)
    for _ in range(30):  # the longest run of days off (Spring Festival plus a weekend) is far shorter
        if is_working_day(local.date()):
            opens = datetime.combine(local.date(), OFFICE_OPENS, SHANGHAI)
            closes = datetime.combine(local.date(), OFFICE_CLOSES, SHANGHAI)
            if local < opens:
                return opens
            if local < closes:
                return local
        local = datetime.combine(local.date() + timedelta(days=1), time(0), SHANGHAI)
    return local


def arrivals(
    rng: random.Random, count: int, starts_at: datetime, ends_at: datetime, scenario: Scenario
) -> list[datetime]:
    """When the applications come in: fewer on days off, mostly from morning to late evening."""
    days: list[datetime] = []
    local = starts_at.astimezone(SHANGHAI)
    day = datetime.combine(local.date(), time(0), SHANGHAI)
    while day < ends_at:
        days.append(day)
        day = datetime.combine(day.date() + timedelta(days=1), time(0), SHANGHAI)
    weights = [1.0 if is_working_day(d.date()) else scenario.weekend_share for d in days]
    hours = list(range(24))
    hour_weights = [0.2 if h < 7 else 1.5 if 9 <= h <= 11 or 20 <= h <= 22 else 1.0 for h in hours]
    times: list[datetime] = []
    while len(times) < count:
        day = rng.choices(days, weights=weights)[0]
        moment = day + timedelta(hours=rng.choices(hours, weights=hour_weights)[0], minutes=rng.uniform(0, 60))
        if starts_at <= moment < ends_at:
            times.append(moment)
    return sorted(times)
