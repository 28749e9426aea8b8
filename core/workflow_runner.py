"""The sandbox our workflows run in: the SDK's own, minus a cost per payload that our data converter makes useless.

Why. temporalio 1.35 encodes and decodes every payload of a workflow activation through a data converter that asks
the workflow instance, once per payload sequence and per pass (decode, encode, external store), which
serialization context applies: the workflow's, or the activity's or child workflow's a command is for. A sandboxed
instance answers by `exec`ing a source string inside the sandbox each time (`workflow_sandbox/_runner.py`
`_Instance.get_serialization_context` and `get_external_store_context`), and the data converter then asks each of
its parts for a copy bound to that context (`DataConverter.with_context`). That was 10-16 % of the worker's
Python time, and a fifth of a replay's CPU (docs/benchmarks.md, "the sandbox's per-payload question").

Our data converter (core/temporal.py) takes no context: the encrypting codec (core/codec.py) seals every payload
the same way whatever it is for, the pydantic payload converter and the failure converter have no context-aware
parts, and there is no external storage. So `with_context` hands back the very same converter for every context,
and the question's answer cannot change a byte. `ContextFreeSandboxedRunner` answers it without entering the
sandbox; everything else (running the workflow code, queries, the deadlock detector's thread id) goes to the
sandboxed instance unchanged, so the sandbox's restrictions and its non-determinism checks stay in force.

`sandboxed_runner` refuses a converter that does take a context (a codec with per-workflow keys, say, or external
storage): answering "no context" would then encode differently from what the SDK intends, so that converter must
use the SDK's `SandboxedWorkflowRunner` as it comes. tests/core/test_workflow_runner.py holds the reliance.

Only public SDK names are used (`WorkflowInstance`, `SandboxedWorkflowRunner`, `DataConverter.with_context`). On an
SDK upgrade re-check: that `WorkflowInstance` has no new method the wrapper must pass on (the test compares the two
classes), and whether the SDK still asks the sandbox per payload; if it stops, delete this module.
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.bridge.proto.workflow_activation import WorkflowActivation
from temporalio.bridge.proto.workflow_completion import WorkflowActivationCompletion
from temporalio.converter import (
    ActivitySerializationContext,
    DataConverter,
    SerializationContext,
    StorageDriverStoreContext,
    StorageDriverWorkflowInfo,
    WorkflowSerializationContext,
)
from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.workflow import Info

# What the sandboxed instance would name: the workflow for payloads of no command, an activity for a scheduled one.
PROBE_CONTEXTS: tuple[SerializationContext, ...] = (
    WorkflowSerializationContext(namespace="default", workflow_id="probe"),
    ActivitySerializationContext(
        namespace="default",
        workflow_id="probe",
        workflow_type="probe",
        activity_type="probe",
        activity_id="1",
        activity_task_queue="probe",
        is_local=False,
    ),
)


def takes_no_context(converter: DataConverter) -> bool:
    """Whether every serialization context leaves `converter` as it is (so its payloads never depend on one)."""
    return converter.external_storage is None and all(
        converter.with_context(context) is converter for context in PROBE_CONTEXTS
    )


def sandboxed_runner(converter: DataConverter) -> SandboxedWorkflowRunner:
    """The runner for workers and replayers that use `converter`: the SDK's sandbox, the context answered outside it."""
    if not takes_no_context(converter):
        raise ValueError(
            "this data converter takes a serialization context (a codec or converter implementing "
            "WithSerializationContext, or external storage): run its workflows on SandboxedWorkflowRunner()"
        )
    return ContextFreeSandboxedRunner()


@dataclass(frozen=True)
class ContextFreeSandboxedRunner(SandboxedWorkflowRunner):
    """`SandboxedWorkflowRunner` with its defaults (restrictions, runner class); only the instances are wrapped.

    A subclass rather than a wrapper, so the SDK's own checks for a sandboxed runner (its debug mode) still apply.
    """

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return ContextFreeInstance(super().create_instance(det), det.info)


class ContextFreeInstance(WorkflowInstance):
    """A sandboxed workflow instance whose payloads take no serialization context (see the module's docstring)."""

    def __init__(self, sandboxed: WorkflowInstance, info: Info) -> None:
        self._sandboxed = sandboxed
        # The one target the sandboxed instance names for the workflow's own payloads and its activities'; other
        # targets (child workflows, external signals: we send neither) matter only to external storage, refused above.
        self._store_context = StorageDriverStoreContext(
            target=StorageDriverWorkflowInfo(
                id=info.workflow_id, run_id=info.run_id, type=info.workflow_type, namespace=info.namespace
            )
        )

    def activate(self, act: WorkflowActivation) -> WorkflowActivationCompletion:
        return self._sandboxed.activate(act)

    def get_serialization_context(self, command_info: object) -> SerializationContext | None:
        # None: "no context", the SDK then uses the worker's converter itself, which every context leaves unchanged.
        return None

    def get_external_store_context(self, command_info: object) -> StorageDriverStoreContext:
        return self._store_context

    def get_info(self) -> Info:
        return self._sandboxed.get_info()

    def get_thread_id(self) -> int | None:
        return self._sandboxed.get_thread_id()
