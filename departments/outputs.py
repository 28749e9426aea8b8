"""Deterministic decisions and licence numbers.

Everything here is a pure function of the department, the idempotency key and the behaviour, so a retried
or duplicated submission (or a restarted stub) always reaches the same outcome and the same numbers.
Reasons are fixed texts: they never echo values from the payload, which may be personal data.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from datetime import datetime

from departments.behaviour import DepartmentBehaviour

RESUBMISSION = re.compile(r":r\d+$")
"""The platform keys the n-th resubmission after a correction `{case_no}:{item_code}:r{n}`."""

# Realistic shapes for the newborn bundle's licences: prefix and number of digits.
KNOWN_FORMATS: dict[str, tuple[str, int]] = {
    "birth_cert_no": ("Q310", 7),  # 出生医学证明编号, Shanghai prefix
    "vaccination_cert_no": ("YM", 10),  # 预防接种证
    "hukou_no": ("HK", 10),  # 户口登记
    "social_security_card_no": ("SSC", 9),  # 社会保障卡
    "medical_insurance_no": ("YB", 10),  # 城乡居民医保
}

REJECT_REASONS = (
    "申请不符合受理条件 / The application does not meet the conditions for this service.",
    "提交的材料与部门登记信息不一致 / The submitted material does not match the department's records.",
    "该事项已在其他渠道办结 / This service was already completed through another channel.",
)
CORRECTION_REASONS = (
    "请核对并补正字段 {field} / Please check and correct the field {field}.",
    "字段 {field} 的信息不完整，请补正 / The field {field} is incomplete, please supplement it.",
)
GENERIC_CORRECTION = "申请材料需补正，请核对后重新提交 / The application needs correcting; please check and resubmit."
WITHDRAWN_REASON = "申请人已撤回申请 / The applicant withdrew the application."
SAFE_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]{0,63}$")


@dataclass(frozen=True)
class Decision:
    status: str
    output: dict[str, str] | None
    reason: str | None


def is_resubmission(idempotency_key: str) -> bool:
    return RESUBMISSION.search(idempotency_key) is not None


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def output_value(department: str, idempotency_key: str, name: str) -> str:
    # Seeded by the base key (without the :rN suffix) so a corrected resubmission keeps the same numbers.
    base = RESUBMISSION.sub("", idempotency_key)
    known = KNOWN_FORMATS.get(name)
    if known is None:
        return f"{department.upper()}-{_digest(department, base, name)[:8]}"
    prefix, digits = known
    rng = random.Random(_digest(base, name))
    return prefix + "".join(str(rng.randrange(10)) for _ in range(digits))


def generate_outputs(department: str, idempotency_key: str, names: list[str]) -> dict[str, str]:
    return {name: output_value(department, idempotency_key, name) for name in names}


def decide(
    department: str,
    idempotency_key: str,
    outputs: list[str],
    payload_fields: list[str],
    behaviour: DepartmentBehaviour,
) -> Decision:
    rng = random.Random(idempotency_key)
    roll = rng.random()
    if roll < behaviour.reject_rate:
        return Decision("rejected", None, rng.choice(REJECT_REASONS))
    if not is_resubmission(idempotency_key) and roll < behaviour.reject_rate + behaviour.correction_rate:
        return Decision("correction_requested", None, _correction_reason(rng, payload_fields))
    return Decision("completed", generate_outputs(department, idempotency_key, outputs), None)


def _correction_reason(rng: random.Random, payload_fields: list[str]) -> str:
    # Field names are schema, not personal data; anything that does not look like one is left out.
    fields = sorted(name for name in payload_fields if SAFE_FIELD.match(name))
    if not fields:
        return GENERIC_CORRECTION
    return rng.choice(CORRECTION_REASONS).format(field=rng.choice(fields))


def receipt_no(department: str, idempotency_key: str, created_at: datetime) -> str:
    """`{DEPT}-{YYYYMMDD}-{8 hex}`: stored with the record, so the date never changes a repeated answer."""
    return f"{department.upper()}-{created_at:%Y%m%d}-{_digest('receipt', department, idempotency_key)[:8].upper()}"
