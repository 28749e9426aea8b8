"""The worked signature example in docs/department-contract.md is computed here, so the guide cannot drift
from the scheme the platform verifies; its OpenSSL command is run and must print the same signature."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.department_contract import contract
from core.signing import KEY_ID_HEADER, MAX_SKEW_SECONDS, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify

GUIDE = Path(__file__).parents[2] / "docs" / "department-contract.md"
KEY_HEX = "6f6e657468696e672d776f726b65642d6578616d706c652d6b65792d30303031"
KEY_ID = "k-public-security-2026-12"
TIMESTAMP = 1796695200
BODY = (
    b'{"idempotency_key":"20261206-8NN33MT6:hukou_registration","case_no":"20261206-8NN33MT6",'
    b'"item_code":"hukou_registration","receipt_no":"PUBLIC_SECURITY-20261206-1A2B3C4D","status":"completed",'
    b'"output":{"hukou_no":"HK3101000001"},"reason":null}'
)


@pytest.fixture(scope="module")
def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def expected_signature() -> str:
    # Written out independently of core.signing: the guide's steps 3 and 4, literally.
    message = str(TIMESTAMP).encode("ascii") + b"." + BODY
    return hmac.new(bytes.fromhex(KEY_HEX), message, hashlib.sha256).hexdigest()


def test_the_guide_shows_the_signature_the_platform_computes_and_accepts(guide: str) -> None:
    signature = f"sha256={expected_signature()}"
    assert sign(bytes.fromhex(KEY_HEX), TIMESTAMP, BODY) == signature
    assert verify(bytes.fromhex(KEY_HEX), str(TIMESTAMP), signature, BODY, now=TIMESTAMP + MAX_SKEW_SECONDS) is None
    assert verify(bytes.fromhex(KEY_HEX), str(TIMESTAMP), signature, BODY, now=TIMESTAMP + MAX_SKEW_SECONDS + 1)
    assert f"{TIMESTAMP_HEADER}: {TIMESTAMP}\n{SIGNATURE_HEADER}: {signature}\n{KEY_ID_HEADER}: {KEY_ID}" in guide


def test_the_guide_s_example_values_are_the_ones_signed(guide: str) -> None:
    assert f"| key (hex) | `{KEY_HEX}` |" in guide
    assert f"| key id | `{KEY_ID}` |" in guide
    assert f"(compact, {len(BODY)} bytes)" in guide
    assert "\n" + BODY.decode() + "\n" in guide  # the callback body block, exactly
    when = datetime.fromtimestamp(TIMESTAMP, ZoneInfo("Asia/Shanghai"))
    assert f"`{TIMESTAMP}` ({when:%Y-%m-%d %H:%M:%S} Asia/Shanghai)" in guide


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_the_guide_s_openssl_command_prints_the_signature(guide: str) -> None:
    script = re.search(r"```bash\n(BODY=.*?)```", guide, re.DOTALL)
    assert script is not None
    printed = subprocess.run(["bash", "-c", script.group(1)], capture_output=True, text=True, check=True).stdout
    assert printed.strip().endswith(expected_signature())


def test_the_contract_document_carries_the_same_example() -> None:
    scheme = contract()["components"]["securitySchemes"]["OnethingSignature"]["description"]
    result = contract()["components"]["pathItems"]["DepartmentResult"]["post"]
    example = result["requestBody"]["content"]["application/json"]["examples"]["completed"]["value"]
    assert json.dumps(example, ensure_ascii=False, separators=(",", ":")).encode() == BODY
    assert f"sha256={expected_signature()}" in scheme
    assert KEY_HEX in scheme
    assert str(TIMESTAMP) in scheme
