"""Our workflows run in the SDK's sandbox, with the serialization context answered outside it (core/workflow_runner.py).

What a user relies on: a case's payloads are sealed exactly as before (the context changes no byte of them), the
sandbox still refuses non-deterministic code, and the worker the product starts runs on this runner.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Self

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.converter import DataConverter, SerializationContext, WithSerializationContext
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker, WorkflowInstance
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

import core.codec
from core.codec import EncryptionCodec
from core.settings import DEV_CODEC_KEY
from core.temporal import data_converter
from core.workflow_runner import (
    PROBE_CONTEXTS,
    ContextFreeInstance,
    ContextFreeSandboxedRunner,
    sandboxed_runner,
    takes_no_context,
)
from tests.conftest import stack_settings
from tests.core.sandbox_probe import SandboxProbe
from worker import build_worker
from workflows.contracts import StaffDecision

DECISION = StaffDecision(item_code="first", decision="approve", output={"first_no": "A-1"}, staff="clerk-1")


def test_our_converter_takes_no_context() -> None:
    assert takes_no_context(data_converter(DEV_CODEC_KEY))


@pytest.mark.parametrize("context", PROBE_CONTEXTS, ids=lambda context: type(context).__name__)
async def test_a_payload_is_sealed_to_the_same_bytes_with_or_without_a_context(
    context: SerializationContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    converter = data_converter(DEV_CODEC_KEY)
    # One nonce for both encodings (the OS's randomness is the only thing that may differ): AES-GCM is then
    # deterministic, so equal bytes mean the same plaintext, key and key id.
    monkeypatch.setattr(core.codec.os, "urandom", lambda size: bytes(range(size)))
    with_context = await converter.with_context(context).encode([DECISION, "MSG-1"])
    without = await converter.encode([DECISION, "MSG-1"])
    assert [p.SerializeToString(deterministic=True) for p in with_context] == [
        p.SerializeToString(deterministic=True) for p in without
    ]
    assert with_context[0].metadata["encoding"] == core.codec.ENCODING
    assert await converter.decode(with_context, [StaffDecision, str]) == [DECISION, "MSG-1"]


class KeyPerWorkflow(EncryptionCodec, WithSerializationContext):
    """A codec that would seal each workflow's payloads differently: the context matters to it."""

    def with_context(self, context: SerializationContext) -> Self:
        return type(self)(DEV_CODEC_KEY, key_id=f"per-workflow-{getattr(context, 'workflow_id', '')}")


def test_a_converter_that_takes_a_context_is_refused() -> None:
    converter = DataConverter(payload_codec=KeyPerWorkflow(DEV_CODEC_KEY))
    assert not takes_no_context(converter)
    with pytest.raises(ValueError, match="SandboxedWorkflowRunner"):
        sandboxed_runner(converter)


def test_the_wrapper_passes_on_every_method_of_a_workflow_instance() -> None:
    """An SDK upgrade that adds a method to WorkflowInstance must be passed on to the sandboxed instance."""
    methods = [name for name in vars(WorkflowInstance) if not name.startswith("_")]
    assert "activate" in methods
    assert [name for name in methods if getattr(ContextFreeInstance, name) is getattr(WorkflowInstance, name)] == []


async def test_the_product_worker_runs_workflows_on_the_context_free_sandbox(
    shared_skipping_env: WorkflowEnvironment, data_dir: Path
) -> None:
    settings = stack_settings(data_dir, shared_skipping_env.client)
    async with build_worker(shared_skipping_env.client, settings) as worker:
        runner = worker.config()["workflow_runner"]
    assert isinstance(runner, ContextFreeSandboxedRunner)
    assert isinstance(runner, SandboxedWorkflowRunner)


async def _run_probe(env: WorkflowEnvironment, read_wall_clock: bool) -> str:
    queue = f"sandbox-probe-{uuid.uuid4().hex[:8]}"
    runner = sandboxed_runner(env.client.data_converter)
    async with Worker(env.client, task_queue=queue, workflows=[SandboxProbe], workflow_runner=runner):
        return await env.client.execute_workflow(SandboxProbe.run, read_wall_clock, id=f"{queue}-run", task_queue=queue)


async def test_payloads_cross_the_sandbox_sealed_and_come_back(shared_skipping_env: WorkflowEnvironment) -> None:
    echoed = await _run_probe(shared_skipping_env, read_wall_clock=False)
    assert echoed.startswith("echo sandbox-probe-")


async def test_the_sandbox_still_refuses_non_deterministic_code(shared_skipping_env: WorkflowEnvironment) -> None:
    with pytest.raises(WorkflowFailureError) as failed:
        await _run_probe(shared_skipping_env, read_wall_clock=True)
    assert "datetime.datetime.now" in str(failed.value.cause)
