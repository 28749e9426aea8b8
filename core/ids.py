"""Case numbers and workflow ids: business keys that carry no personal data."""

from __future__ import annotations

import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I: case numbers are read out on the phone
_SHANGHAI = ZoneInfo("Asia/Shanghai")


def new_case_no(now: datetime) -> str:
    """E.g. 20261122-7K3Q9XM4: the local acceptance date, then 8 random characters (40 bits)."""
    suffix = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"{now.astimezone(_SHANGHAI):%Y%m%d}-{suffix}"


def workflow_id(case_no: str) -> str:
    """`case-<case number>`: a double-submitted form can only ever start one case, and whoever holds a case
    number (a department's callback, a clerk, the citizen) reaches its workflow without looking anything up."""
    return f"case-{case_no}"


def legacy_workflow_id(thing: str, case_no: str) -> str:
    """`newborn-<case number>`: the id of cases started before ids were derived from the case number alone."""
    return f"{thing}-{case_no}"
