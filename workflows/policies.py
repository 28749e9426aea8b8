"""Timeouts and retry policies of every activity call, in one place so they are reviewed together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TypedDict

from temporalio.common import RetryPolicy

REFUSED = "DepartmentRefused"
"""Error type of a department refusing a submission outright (4xx): never retried."""


class ActivityOptions(TypedDict):
    """The keyword arguments of `workflow.execute_activity*` that a CallPolicy decides."""

    start_to_close_timeout: timedelta
    schedule_to_close_timeout: timedelta | None
    retry_policy: RetryPolicy


class RemoteCallOptions(ActivityOptions):
    """A call that waits on another system also says how often it must heartbeat (local activities cannot)."""

    heartbeat_timeout: timedelta


@dataclass(frozen=True)
class CallPolicy:
    start_to_close: timedelta
    schedule_to_close: timedelta | None
    retry: RetryPolicy

    def options(self) -> ActivityOptions:
        """`**policy.options()` in an activity call: every call states all three, from here."""
        return ActivityOptions(
            start_to_close_timeout=self.start_to_close,
            schedule_to_close_timeout=self.schedule_to_close,
            retry_policy=self.retry,
        )


@dataclass(frozen=True)
class RemoteCallPolicy(CallPolicy):
    heartbeat: timedelta = timedelta(seconds=10)
    """A worker that dies mid-call is noticed after this, not after start_to_close: the activity heartbeats
    while it waits on the department (activities/departments.py)."""

    def options(self) -> RemoteCallOptions:
        return RemoteCallOptions(**super().options(), heartbeat_timeout=self.heartbeat)


CALENDAR = CallPolicy(
    # Our own arithmetic on our own worker: it fails only while no worker runs, and an item cannot go on
    # without its deadline, so it waits as long as that lasts. (A 10-minute limit here ended every item of
    # every case in flight when the workers were down longer: the fault suite's worker-kills, 83 of 500.)
    start_to_close=timedelta(seconds=10),
    schedule_to_close=None,
    retry=RetryPolicy(maximum_interval=timedelta(seconds=10)),
)

DEPARTMENT_CALL = RemoteCallPolicy(
    # A department back-end may be slow or down for a while: keep trying, at most every 2 minutes, for as
    # long as it takes (the idempotency key makes retries safe). The outage shows on the department health
    # view and the item's SLA light goes yellow and red as its days pass. (A one-day limit here ended the
    # item's code with the error unobserved: the case then waited forever, shown as "with the department".)
    start_to_close=timedelta(seconds=60),
    schedule_to_close=None,
    retry=RetryPolicy(
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=2),
        non_retryable_error_types=[REFUSED],
    ),
)

BATCH_POLL = RemoteCallPolicy(
    # Polling a data pipeline by activity retry costs no history events until the result is there; as for
    # DEPARTMENT_CALL, a batch result that takes longer than any limit leaves the item waiting, not ended.
    start_to_close=timedelta(seconds=30),
    schedule_to_close=None,
    retry=RetryPolicy(
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=1.5,
        maximum_interval=timedelta(minutes=10),
        non_retryable_error_types=[REFUSED],
    ),
)

NOTICE = CallPolicy(
    # Withdrawal and escalation notices must reach the department but never decide the case's outcome.
    start_to_close=timedelta(seconds=30),
    schedule_to_close=timedelta(hours=6),
    retry=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5)),
)

PROJECTION = CallPolicy(
    # The projection is a cache of history that pages read: retried until it lands.
    start_to_close=timedelta(seconds=10),
    schedule_to_close=None,
    retry=RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=30)),
)

MESSAGE = CallPolicy(
    # A notice is worth a few retries within the hour, but a case never waits on it for long or fails
    # because of it: the inbox row and transport records are keyed by business facts, so retries are safe.
    start_to_close=timedelta(seconds=30),
    schedule_to_close=timedelta(hours=1),
    retry=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)),
)

REMINDERS = CallPolicy(
    # One daily sweep over the wallet: a retry resends nothing (notices are keyed by licence and expiry
    # date), so keep retrying for most of the day, but stop well before the next day's run.
    start_to_close=timedelta(minutes=10),
    schedule_to_close=timedelta(hours=12),
    retry=RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=10)),
)
