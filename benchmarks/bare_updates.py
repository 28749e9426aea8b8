"""The departments of `onething bench`'s `bare_updates` baseline, played by the bench client.

Told of each submission by the bare worker's datagram (benchmarks/bare_dag.py), it waits the department latency
and sends the item's `department_result` update, as the product's department stub sends its signed callback
(and the auto-clerk its decision) that long after the submission reached it. Its CPU is the `bench` process's,
which the report keeps out of the stack's total, as the product's stubs' work is not the engine's either.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError

from benchmarks.bare_dag import BareDagWorkflow

log = logging.getLogger("onething.bench.bare_updates")
ATTEMPTS = 5
"""An update the server could not take (busy, restarting) is sent again, as a stub resends its callback."""


class UpdateSender(asyncio.DatagramProtocol):
    def __init__(self, client: Client, latency_ms: int) -> None:
        self._client = client
        self._latency = latency_ms / 1000
        self._transport: asyncio.DatagramTransport | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self.sent = 0
        self.refused = 0
        self.round_trips: list[float] = []
        """Seconds from each taken update's first send to its completion, in the order they completed."""

    async def open(self) -> int:
        """Listen on a free loopback port; returns it, for the workflows' input."""
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=("127.0.0.1", 0))
        self._transport = transport
        port: int = transport.get_extra_info("sockname")[1]
        return port

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        for task in self._sending:
            task.cancel()

    def datagram_received(self, data: bytes, addr: tuple[str | int, int]) -> None:
        workflow, _, code = data.decode(errors="replace").partition(" ")
        if not workflow.startswith("bare-") or not code:  # not the bare worker's: nothing to answer
            log.warning("ignored a datagram that names no bare workflow and item")
            return
        task = asyncio.create_task(self._answer(workflow, code))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _answer(self, workflow: str, code: str) -> None:
        await asyncio.sleep(self._latency)
        handle = self._client.get_workflow_handle(workflow)
        sent = time.perf_counter()
        for attempt in range(1, ATTEMPTS + 1):
            try:
                await handle.execute_update(BareDagWorkflow.department_result, code)
                self.round_trips.append(time.perf_counter() - sent)
                self.sent += 1
                return
            except WorkflowUpdateFailedError:
                self.refused += 1  # the validator's refusal: sending it again would be refused again
                log.warning("bare workflow %s refused the result of %s", workflow, code)
                return
            except RPCError as error:
                if attempt < ATTEMPTS:
                    await asyncio.sleep(0.1 * attempt)
                    continue
                # Ended, so that the bench counts the bundle as failed instead of waiting for it for ever.
                log.warning("could not deliver %s's result to %s (%s): ending it", code, workflow, error.status)
                with contextlib.suppress(RPCError):
                    await handle.terminate("its department's result could not be delivered")
