"""The end-of-run summary, from the cases as their applicants see them and what the people did."""

from __future__ import annotations

from collections import Counter
from typing import Any

from simulation.runner import Outcome


def summary_lines(outcome: Outcome) -> list[str]:
    cases = list(outcome.cases.values())
    statuses = Counter(case["status"] for case in cases)
    items = [item for case in cases for item in case["items"]]
    late = [item for item in items if item["breached_at"] is not None]
    lights = Counter(item["light"] for item in items if item["light"])
    corrected = sum(1 for case in cases if any(item["round"] > 0 for item in case["items"]))
    tally = outcome.tally
    rated = sum(tally.scores.values())
    mean = sum(score * n for score, n in tally.scores.items()) / rated if rated else 0.0
    window = "" if outcome.shifted else " (in the FUTURE: libfaketime was not available)"
    return [
        f"simulated {outcome.starts_at:%Y-%m-%d %H:%M} to {outcome.ends_at:%Y-%m-%d %H:%M} UTC{window}"
        f" in {outcome.seconds:.0f} s",
        f"cases: {len(cases)}: " + _counts(statuses),
        f"items: {len(items)}; lights " + _counts(lights) + f"; late (breached): {len(late)} ({_departments(late)})",
        f"corrections (补正): {corrected} case(s) resubmitted after {tally.supplements} citizen answer(s); "
        f"withdrawn by citizens: {tally.withdrawals}",
        f"CDC staff decisions: {_counts(tally.staff_decisions)}",
        f"ratings: {rated}, mean {mean:.2f}, scores " + _counts(Counter({str(k): v for k, v in tally.scores.items()})),
        f"rectifications (整改): {tally.rectifications} opened, {tally.replies} department replies, "
        f"citizens {_counts(tally.verdicts) or 'no verdicts yet'}",
        "cases still running at the end keep their last state in the projection: their workflows lived in the "
        "simulation's in-memory server",
    ]


def _counts(counter: Counter[Any]) -> str:
    return ", ".join(f"{key} {n}" for key, n in sorted(counter.items()))


def _departments(items: list[dict[str, Any]]) -> str:
    return _counts(Counter(item["department"] for item in items)) or "none"
