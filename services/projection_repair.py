"""Brings case rows level with workflows that closed while their row stayed behind (`onething db repair-projection`).

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
for the operator and left alone: there is no state to write, and a row must not be guessed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from activities.projection import ProjectionActivities
from core.ids import workflow_id
from persistence.cases import case_seq, open_case_numbers
from workflows.bundle import OneThingWorkflow
from workflows.contracts import CaseState

PAGE = 200
"""Case numbers read from the projection at a time."""


@dataclass
class RepairReport:
    """What a pass found, by case number (safe to print: a case number names no person)."""

    checked: int = 0
    repaired: list[str] = field(default_factory=list)
    """Rows written from their completed workflow's final state (or that would be, in a dry run)."""
    overtaken: list[str] = field(default_factory=list)
    """Rows another write brought level while this pass looked (their final write committed meanwhile)."""
    closed_without_result: list[str] = field(default_factory=list)
    """Workflows that failed, were terminated, cancelled or timed out: no final state to write."""
    not_found: list[str] = field(default_factory=list)
    """No workflow under the case's id: not started yet (the outbox), or past the namespace's retention."""


async def repair_case_rows(
    client: Client,
    engine: Engine,
    projection: ProjectionActivities,
    *,
    dry_run: bool = False,
    progress: Callable[[RepairReport], None] = lambda _report: None,
) -> RepairReport:
    """One pass over the cases the projection shows open; `progress` is called after each page."""
    report = RepairReport()
    after: str | None = None
    while True:
        with Session(engine) as session:
            page = open_case_numbers(session, after=after, limit=PAGE)
        if not page:
            return report
        for case_no in page:
            await _repair_one(client, engine, projection, case_no, report, dry_run=dry_run)
        report.checked += len(page)
        after = page[-1]
        progress(report)


async def _repair_one(
    client: Client,
    engine: Engine,
    projection: ProjectionActivities,
    case_no: str,
    report: RepairReport,
    *,
    dry_run: bool,
) -> None:
    try:
        described = await client.get_workflow_handle(workflow_id(case_no)).describe()
    except RPCError as error:
        if error.status is not RPCStatusCode.NOT_FOUND:
            raise
        report.not_found.append(case_no)
        return
    if described.status is WorkflowExecutionStatus.RUNNING:
        return
    if described.status is not WorkflowExecutionStatus.COMPLETED:
        report.closed_without_result.append(case_no)
        return
    # The run that was described, not a later one under the same id.
    final = await client.get_workflow_handle_for(OneThingWorkflow.run, described.id, run_id=described.run_id).result()
    if dry_run:
        report.repaired.append(case_no)
        return
    # Sync SQL, as in the worker's activity thread: off the event loop.
    applied = await asyncio.to_thread(_write_final, engine, projection, final, described.history_length)
    (report.repaired if applied else report.overtaken).append(case_no)


def _write_final(engine: Engine, projection: ProjectionActivities, final: CaseState, history_length: int) -> bool:
    with Session(engine) as session:
        stored_seq = case_seq(session, case_no=final.case_no) or 0
    # Longer than the history of any write of the run, and a seq past the row's: see the module's docstring.
    final = final.model_copy(update={"history_length": history_length, "seq": max(final.seq, stored_seq) + 1})
    return projection.project_case_state(final)
