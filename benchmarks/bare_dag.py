"""The bare Temporal baselines of `onething bench`: the newborn's item graph as plain activities, nothing else.

One activity per item, each started the moment the items it depends on are done (the dependencies are
read from the catalogue's newborn definition and passed in), each only sleeping the departments' latency:
no HTTP, no database, no codec, no projection. It runs on the same dev server and SDK as the product, on a
task queue and worker process of its own (benchmarks/bare_worker.py).

The second baseline, "bare DAG with the product's updates" (`bare_updates`), gives the same graph the one
thing the product's bundle cannot do without: an item its department answers later (async callback) or its
staff decide (standard module) takes its result by a workflow update from outside. Its activity only
acknowledges the submission and tells the bench client which item was submitted (a UDP datagram, as the
product's submission tells the department stub by HTTP); the client sends `department_result` after the
department latency, and the item is done when the update has been taken.

This module imports nothing but the SDK and the standard library: the workflow sandbox imports a workflow's
module afresh for every run, and with it all that the module imports.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.exceptions import ApplicationError


@dataclass
class Node:
    code: str
    depends_on: list[str] = field(default_factory=list)
    by_update: bool = False
    """Its result comes by the `department_result` update after its submission (bare_updates only)."""


@dataclass
class BareDag:
    nodes: list[Node]
    latency_ms: int
    notify_port: int = 0
    """The bench client's loopback UDP port told of each submission of an item answered by update."""


@dataclass
class Submitted:
    port: int
    code: str


@activity.defn
async def department_decides(latency_ms: int) -> str:
    """What the department stub costs the product, without the call: its latency."""
    await asyncio.sleep(latency_ms / 1000)
    return "approved"


@activity.defn
async def department_acknowledges(submitted: Submitted) -> str:
    """The submission of an item answered later: acknowledged at once, its department (the bench client) told.

    A datagram, not a call: the department's own work is not the engine's cost, and a send cannot block."""
    message = f"{activity.info().workflow_id} {submitted.code}".encode()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(message, ("127.0.0.1", submitted.port))
    return "acknowledged"


@workflow.defn
class BareDagWorkflow:
    def __init__(self) -> None:
        self._done: set[str] = set()
        self._answered: set[str] = set()
        self._by_update: set[str] = set()
        self._notify_port = 0

    @workflow.run
    async def run(self, dag: BareDag) -> int:
        self._by_update = {node.code for node in dag.nodes if node.by_update}
        self._notify_port = dag.notify_port
        await asyncio.gather(*(self._item(node, dag.latency_ms) for node in dag.nodes))
        return len(self._done)

    async def _item(self, node: Node, latency_ms: int) -> None:
        await workflow.wait_condition(lambda: self._done.issuperset(node.depends_on))
        if node.by_update:
            await workflow.execute_activity(
                department_acknowledges,
                Submitted(self._notify_port, node.code),
                start_to_close_timeout=timedelta(seconds=30),
            )
            await workflow.wait_condition(lambda: node.code in self._answered)
        else:
            await workflow.execute_activity(
                department_decides, latency_ms, start_to_close_timeout=timedelta(seconds=30)
            )
        self._done.add(node.code)

    @workflow.update
    def department_result(self, code: str) -> None:
        """An item's result from outside, as the product's `receive_department_result` and `staff_decision`."""
        self._answered.add(code)

    @department_result.validator
    def _check_department_result(self, code: str) -> None:
        # As the product's validators: a result for an item that takes none, or a second one, is refused.
        if code not in self._by_update or code in self._answered:
            raise ApplicationError(f"item {code} expects no result now")
