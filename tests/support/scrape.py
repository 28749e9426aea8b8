"""Reading a Prometheus text exposition the way a scraper would."""

from __future__ import annotations

import re


def sample(exposition: str, name: str, **labels: str) -> float:
    """The value of the first series of `name` carrying all `labels` (0 when there is none)."""
    for line in exposition.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and all(f'{key}="{value}"' in match.group(1) for key, value in labels.items()):
            return float(match.group(2))
    return 0.0
