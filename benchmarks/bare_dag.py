"""The bare Temporal baseline of `onething bench`: the newborn's item graph as plain activities, nothing else.

One activity per item, each started the moment the items it depends on are done (the dependencies are
read from the catalogue's newborn definition and passed in), each only sleeping the departments' latency:
no HTTP, no database, no codec, no projection. It runs on the same dev server and SDK as the product, on a
task queue and worker process of its own (benchmarks/bare_worker.py).

This module imports nothing but the SDK and the standard library: the workflow sandbox imports a workflow's
module afresh for every run, and with it all that the module imports.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import activity, workflow


@dataclass
class Node:
    code: str
    depends_on: list[str] = field(default_factory=list)


@dataclass
class BareDag:
    nodes: list[Node]
    latency_ms: int


@activity.defn
async def department_decides(latency_ms: int) -> str:
    """What the department stub costs the product, without the call: its latency."""
    await asyncio.sleep(latency_ms / 1000)
    return "approved"


@workflow.defn
class BareDagWorkflow:
    def __init__(self) -> None:
        self._done: set[str] = set()

    @workflow.run
    async def run(self, dag: BareDag) -> int:
        await asyncio.gather(*(self._item(node, dag.latency_ms) for node in dag.nodes))
        return len(self._done)

    async def _item(self, node: Node, latency_ms: int) -> None:
        await workflow.wait_condition(lambda: self._done.issuperset(node.depends_on))
        await workflow.execute_activity(department_decides, latency_ms, start_to_close_timeout=timedelta(seconds=30))
        self._done.add(node.code)
