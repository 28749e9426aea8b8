"""Brings projection rows level with workflows that closed while their row stayed behind (`onething db
repair-projection`): cases, and rectifications (整改), whose rows are written and ordered the same way.

A case's row is written from inside its workflow (workflows/projection.py), the last write before the workflow
closes. Until the write order of 2026-12-07 (persistence/write_order.py) a worker killed inside a workflow task
could leave a case's row behind for good: the row says running while the workflow has completed and the citizen
has been told so. The order prevents that from now on; this repairs the rows left behind before it, or by anything
else that loses a final write (a projection database restored from a backup older than the workflows).

For each case the projection shows open, Temporal is asked about its workflow. A workflow that completed returned
its final state: that state is written through the projection write the worker uses (licences and notices with it,
each keyed, so none twice), ordered after every write the run made or could still make: the closed history's
length, and a seq past the row's (a row left behind holds the final state's seq already, with no length, and
under the order's seq-only rule for such rows an equal seq is a repeat). A workflow still
running is left alone (its own writes follow); one closed without a result (failed, terminated, cancelled, timed
out) or not found (an accepted application the outbox has not started yet, or a workflow past retention) is named
for the operator and left alone: there is no state to write, and a row must not be guessed. A rectification's
row is walked the same way while it shows unfinished (open, replied or contested), and written from its workflow's
final state through the rectification write the worker uses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from activities.projection import ProjectionActivities
from activities.rectifications import RectificationActivities
from core.ids import workflow_id
from persistence.cases import case_seq, open_case_numbers
from persistence.rectifications import rectification_seq, unfinished_rectification_ids
from workflows.contracts import CaseState, RectificationState

PAGE = 200
"""Row keys read from the projection at a time."""

State = TypeVar("State", CaseState, RectificationState)


@dataclass(frozen=True)
class Rows(Generic[State]):
    """A projection table written by workflows: how to walk the rows it shows unfinished and write a final state."""

    noun: str
    """What a row is, for the report: "cases", "rectifications"."""
    unfinished: Callable[[Session, str | None, int], list[str]]
    """A page of row keys after a key (None: the first page)."""
    workflow_id: Callable[[str], str]
    result_type: type[State]
    stored_seq: Callable[[Session, str], int | None]
    write: Callable[[State], bool]
    """The worker's own write: ordered by (history length, seq), licences and notices keyed."""


def case_rows(projection: ProjectionActivities) -> Rows[CaseState]:
    return Rows(
        noun="cases",
        unfinished=lambda session, after, limit: open_case_numbers(session, after=after, limit=limit),
        workflow_id=workflow_id,
        result_type=CaseState,
        stored_seq=lambda session, case_no: case_seq(session, case_no=case_no),
        write=projection.project_case_state,
    )


def rectification_rows(rectifications: RectificationActivities) -> Rows[RectificationState]:
    return Rows(
        noun="rectifications",
        unfinished=lambda session, after, limit: unfinished_rectification_ids(session, after=after, limit=limit),
        workflow_id=lambda rectification_id: rectification_id,  # the row's id is its workflow's
        result_type=RectificationState,
        stored_seq=lambda session, key: rectification_seq(session, rectification_id=key),
        write=rectifications.project_rectification,
    )


@dataclass
class RepairReport:
    """What a pass found, by row key: a case number or a rectification id (safe to print: neither names a person)."""

    noun: str = "cases"
    checked: int = 0
    repaired: list[str] = field(default_factory=list)
    """Rows written from their completed workflow's final state (or that would be, in a dry run)."""
    overtaken: list[str] = field(default_factory=list)
    """Rows another write brought level while this pass looked (their final write committed meanwhile)."""
    closed_without_result: list[str] = field(default_factory=list)
    """Workflows that failed, were terminated, cancelled or timed out: no final state to write."""
    not_found: list[str] = field(default_factory=list)
    """No workflow under the row's id: not started yet (the outbox), or past the namespace's retention."""


async def repair_rows(
    client: Client,
    engine: Engine,
    rows: Rows[State],
    *,
    dry_run: bool = False,
    progress: Callable[[RepairReport], None] = lambda _report: None,
) -> RepairReport:
    """One pass over the rows the projection shows unfinished; `progress` is called after each page."""
    report = RepairReport(noun=rows.noun)
    after: str | None = None
    while True:
        with Session(engine) as session:
            page = rows.unfinished(session, after, PAGE)
        if not page:
            return report
        for key in page:
            await _repair_one(client, engine, rows, key, report, dry_run=dry_run)
        report.checked += len(page)
        after = page[-1]
        progress(report)


async def _repair_one(
    client: Client, engine: Engine, rows: Rows[State], key: str, report: RepairReport, *, dry_run: bool
) -> None:
    try:
        described = await client.get_workflow_handle(rows.workflow_id(key)).describe()
    except RPCError as error:
        if error.status is not RPCStatusCode.NOT_FOUND:
            raise
        report.not_found.append(key)
        return
    if described.status is WorkflowExecutionStatus.RUNNING:
        return
    if described.status is not WorkflowExecutionStatus.COMPLETED:
        report.closed_without_result.append(key)
        return
    # The run that was described, not a later one under the same id.
    handle = client.get_workflow_handle(described.id, run_id=described.run_id, result_type=rows.result_type)
    final: State = await handle.result()
    if dry_run:
        report.repaired.append(key)
        return
    # Sync SQL, as in the worker's activity thread: off the event loop.
    applied = await asyncio.to_thread(_write_final, engine, rows, key, final, described.history_length)
    (report.repaired if applied else report.overtaken).append(key)


def _write_final(engine: Engine, rows: Rows[State], key: str, final: State, history_length: int) -> bool:
    with Session(engine) as session:
        stored_seq = rows.stored_seq(session, key) or 0
    # Longer than the history of any write of the run, and a seq past the row's: see the module's docstring.
    final = final.model_copy(update={"history_length": history_length, "seq": max(final.seq, stored_seq) + 1})
    return rows.write(final)
