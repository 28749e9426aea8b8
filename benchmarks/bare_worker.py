"""The bare DAG's worker, a process of its own in `onething bench`'s stack:

    python -m benchmarks.bare_worker --task-queue Q     (ONETHING_TEMPORAL_ADDRESS names the server)

Default data converter, no codec, no interceptors, the SDK's default worker options: Temporal as it comes.
"""

from __future__ import annotations

import argparse
import asyncio

from temporalio.client import Client
from temporalio.worker import Worker

from benchmarks.bare_dag import BareDagWorkflow, department_acknowledges, department_decides
from core.settings import Settings


async def serve(task_queue: str) -> None:
    settings = Settings()
    client = await Client.connect(settings.temporal_address, namespace=settings.temporal_namespace)
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[BareDagWorkflow],
        activities=[department_decides, department_acknowledges],
    )
    await worker.run()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bare_worker", description=__doc__.split("\n\n")[0])
    parser.add_argument("--task-queue", required=True)
    asyncio.run(serve(parser.parse_args().task_queue))


if __name__ == "__main__":
    main()
