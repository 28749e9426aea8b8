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
        ready = [item for item in pending if all(d in done or d not in chosen for d in item.waits_for)]
        if not ready:
            raise ValueError(f"dependency cycle among: {', '.join(item.code for item in pending)}")
        done.extend(item.code for item in ready)
        pending = [item for item in pending if item.code not in done]
    return done


def finish_days(thing: OneThing, included: Iterable[str]) -> dict[str, int]:
    """Each item's promised finish, in working days from the start, when every item starts the moment
    what it depends on is done (the workflow's rule). Keys in dependency order."""
    chosen = set(included)
    finish: dict[str, int] = {}
    for code in dependency_order(thing, chosen):
        item = thing.item(code)
        start = max((finish[d] for d in item.waits_for if d in chosen), default=0)
        finish[code] = start + item.promised_days
    return finish


def critical_path_days(thing: OneThing, included: Iterable[str]) -> int:
    """Promised working days from start to the last result when independent items run in parallel.

    The longest chain of promised_days along dependencies: what the citizen actually waits.
    """
    return max(finish_days(thing, included).values(), default=0)


def critical_path(thing: OneThing, included: Iterable[str]) -> list[str]:
    """The chain of item codes, first to last, whose promised days add up to `critical_path_days`.

    Where two chains are equally long the one defined first wins, so the highlighted path is stable.
    """
    finish = finish_days(thing, included)
    if not finish:
        return []
    position = {item.code: index for index, item in enumerate(thing.items)}
    last = max(finish, key=lambda code: (finish[code], -position[code]))
    chain = [last]
    while True:
        item = thing.item(chain[-1])
        # The dependency this item waited for is the one that finished when it started.
        start = finish[item.code] - item.promised_days
        waited = [d for d in item.waits_for if d in finish and finish[d] == start]
        if not waited:
            break
        chain.append(min(waited, key=position.__getitem__))
    return chain[::-1]


def sequential_days(thing: OneThing, included: Iterable[str]) -> int:
    """Promised working days if the items were handled one after another (the pre-reform way)."""
    chosen = set(included)
    return sum(item.promised_days for item in thing.items if item.code in chosen)
