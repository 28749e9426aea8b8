"""Small statistics shared by the benchmark's parts."""

from __future__ import annotations

import math
from collections.abc import Sequence


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile by the nearest-rank method (no interpolation: a p99 of 50 values is the 50th);
    NaN for no values, so an empty phase reads as missing, never as fast."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]
