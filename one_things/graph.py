"""Dependency arithmetic on a definition: order, critical path, sequential sum.

Only imports the schema, so a workflow can use it inside the Temporal sandbox.
"""

from __future__ import annotations

from collections.abc import Iterable

from one_things.schema import OneThing


def dependency_order(thing: OneThing, included: Iterable[str] | None = None) -> list[str]:
    """Item codes so that every item comes after what it depends on; ties keep definition order.

    Dependencies on items outside `included` are ignored (the plan has already dropped their
    dependants). Raises ValueError on a cycle, which validation reports with its path.
    """
    chosen = {item.code for item in thing.items} if included is None else set(included)
    pending = [item for item in thing.items if item.code in chosen]
    done: list[str] = []
    while pending:
        ready = [item for item in pending if all(d in done or d not in chosen for d in item.depends_on)]
        if not ready:
            raise ValueError(f"dependency cycle among: {', '.join(item.code for item in pending)}")
        done.extend(item.code for item in ready)
        pending = [item for item in pending if item.code not in done]
    return done


def critical_path_days(thing: OneThing, included: Iterable[str]) -> int:
    """Promised working days from start to the last result when independent items run in parallel.

    The longest chain of promised_days along dependencies: what the citizen actually waits.
    """
    chosen = set(included)
    finish: dict[str, int] = {}
    for code in dependency_order(thing, chosen):
        item = thing.item(code)
        start = max((finish[d] for d in item.depends_on if d in chosen), default=0)
        finish[code] = start + item.promised_days
    return max(finish.values(), default=0)


def sequential_days(thing: OneThing, included: Iterable[str]) -> int:
    """Promised working days if the items were handled one after another (the pre-reform way)."""
    chosen = set(included)
    return sum(item.promised_days for item in thing.items if item.code in chosen)
