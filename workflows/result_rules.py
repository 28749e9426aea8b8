"""What a department's result must carry to be taken: the contract's rules on its content.

Pure functions of the item's definition and the result, used by the case's update validator. A broken rule is
an `ApplicationError` of type RESULT_REFUSED whose details name the rule and the field, so the API answers a
problem+json a department's integrator can act on without reading our code.
"""

from __future__ import annotations

from collections.abc import Sequence

from temporalio.exceptions import ApplicationError

from one_things.schema import Item
from workflows.contracts import RESULT_REFUSED, DepartmentReply, DepartmentResult


def refused(rule: str, field: str, message: str) -> ApplicationError:
    """A result that can never apply, with the broken rule and the field it concerns in its details."""
    return ApplicationError(message, {"rule": rule, "field": field}, type=RESULT_REFUSED)


def content_refusal(item: Item, result: DepartmentResult) -> ApplicationError | None:
    """The rules below for a signed callback's result on `item`."""
    return reply_refusal(item.code, item.outputs, result)


def reply_refusal(
    item_code: str, outputs: Sequence[str], result: DepartmentResult | DepartmentReply
) -> ApplicationError | None:
    """Declared outputs are text, every one present and not blank on a completed result, nothing undeclared;
    a rejection or correction request says why, as the citizen must be able to act on it. The same rules hold
    whether the result comes by callback, in a synchronous reply or from a batch."""
    output = result.output or {}
    undeclared = sorted(set(output) - set(outputs))
    if undeclared:
        declared = ", ".join(outputs) or "none"
        return refused(
            "undeclared-output",
            f"output.{undeclared[0]}",
            f"{item_code} declares the outputs {declared}; leave out {', '.join(undeclared)}",
        )
    if result.status == "completed":
        missing = [name for name in outputs if not output.get(name, "").strip()]
        if missing:
            return refused(
                "declared-outputs",
                f"output.{missing[0]}",
                f"a completed {item_code} needs its declared outputs: {', '.join(missing)} "
                "(each a non-blank text under output)",
            )
    elif not (result.reason or "").strip():
        return refused(
            "reason-required",
            "reason",
            f"a {result.status} result needs a reason the citizen can act on (name the field or material)",
        )
    return None
