"""Which of two projection writes of one workflow is the newer: the rule the case and rectification rows share.

A workflow writes its state from a local activity, `seq` counting its writes. A write can run in a workflow task
that its worker never completes (the worker killed or stalled after the write committed): the history does not
record it, so the worker that takes the task over replays to the same point and counts its next write with the
**same** `seq`, now from a longer history (the lost task's events and the ones after). By `seq` alone that write
looked like a repeat and was dropped, and the row stayed behind its workflow for good (docs/reliability.md,
findings). So writes are ordered by the workflow's history length when they were made, then by `seq` among the
writes of one workflow task (a task can write several times while its local activities run):

- a later task's write wins over any write of an earlier task, lost or not: it was computed from every event the
  earlier one saw, and more;
- a write from a stalled task that commits late carries the shorter history and is refused, so it cannot put an
  older state over a newer one (why accepting an equal `seq` was not the fix);
- a retried or repeated write has the same pair and changes nothing.

A write or a row without a history length (0: written by a worker from before it was sent, or the row written at
acceptance) is ordered by `seq` alone, as before.

Known limits (docs/reliability.md, findings):
- A worker of a release before this order does not write the length, and its UPDATE leaves the row's length as a
  newer worker wrote it, next to its own newer seq; a stalled new worker's late write could then pass. So the
  release that brings revision 0011 is deployed with the old workers stopped first (docs/operations.md), which a
  new worker enforces: it does not poll while a worker announcing another `PROJECTION_WRITE_FORMAT` (or none)
  does (core/worker_guard.py).
- From its second attempt on, a failing workflow task is "transient": its events are not written again, so a third
  attempt has the same history length as the second. The two compute the same state except for update messages
  the later attempt carries; its write of an equal (length, seq) is refused, so the row misses that update until
  the case's next write, for good if the case closed in that task. It takes two worker deaths in one task and an
  update between them; `onething db repair-projection` fixes such a row once its case has closed.
- A workflow reset to an earlier event writes from a shorter history and a lower `seq` than its row holds; its
  writes are refused until it passes them (as before: a reset case needs its row deleted first).
"""

from __future__ import annotations

PROJECTION_WRITE_FORMAT = 2
"""What a worker announces in its Temporal identity (core/worker_guard.py), so that a worker of another format does
not start beside it: 1 was `seq` alone (the releases before revision 0011, which announce nothing), 2 is the
(history length, seq) order above. Raise it when a release orders or shapes the projection's writes so that its
workers and the previous release's must not run together."""


def supersedes(*, seq: int, history_length: int, stored_seq: int, stored_history_length: int) -> bool:
    """Whether a write (`seq`, `history_length`) replaces the stored row's state."""
    if history_length and stored_history_length:
        return (history_length, seq) > (stored_history_length, stored_seq)
    return seq > stored_seq
