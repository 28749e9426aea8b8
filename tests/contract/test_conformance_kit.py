"""`onething departments conformance` over real HTTP and real exchange folders: it passes the stubs and the
second implementation, and fails a deliberately broken department naming the check, with a non-zero exit status."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from core.batch_files import batches, read_batch, set_aside, write_batch
from core.settings import Settings
from core.signing import DERIVED_KEY_ID, department_key
from departments.app import create_app as create_stubs
from departments.behaviour import DepartmentBehaviour, StubConfig
from tests.support.alt_department.app import AltConfig, SigningKey, create_alt_department
from tests.support.servers import ThreadedServer

SECRET = "conformance-test-secret-of-32-bytes-or-more"
ALT_KEY = SigningKey("k-hr-2026-12", bytes.fromhex("6f6e657468696e672d636f6e666f726d616e63652d6b69742d6b65792d303031"))
CHECKS = [
    "submit",
    "idempotent-repeat",
    "key-reused",
    "status-readable",
    "bad-input",
    "withdraw",
    "escalation",
    "batch-pull",
    "batch-files",
    "batch-callback",
    "callback-signed",
    "callback-retry",
    "timeouts",
]


def run_kit(url: str, department: str, *options: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app, ["departments", "conformance", url, "--department", department, "--result-wait", "10", *options], env=env
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def flat(stdout: str) -> str:
    """The table's text with its borders and line wraps gone, to find a detail wrapped over lines."""
    return " ".join(stdout.replace("│", " ").split())


def verdicts(stdout: str) -> dict[str, str]:
    """The table's rows: check name → PASS / FAIL / SKIP."""
    rows = {}
    for line in stdout.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if len(cells) >= 2 and cells[0] in CHECKS:
            rows[cells[0]] = cells[1]
    return rows


@pytest.fixture
def stubs(tmp_path: Path) -> Iterator[str]:
    config = StubConfig(
        defaults=DepartmentBehaviour(latency_ms=20, jitter_ms=0, batch_interval_ms=100),
        callback_backoff_ms=50,
        callback_backoff_max_ms=200,
        clerk_departments=[],
    )
    with ThreadedServer(create_stubs(Settings(data_dir=tmp_path, secret_key=SECRET), config)) as server:
        yield server.url


def alt(tmp_path: Path, *faults: str) -> ThreadedServer:
    config = AltConfig(
        database=tmp_path / "alt.db", keys={"human_resources": ALT_KEY}, prefix="/hr-system", faults=frozenset(faults)
    )
    return ThreadedServer(create_alt_department(config))


def test_the_stubs_conform_over_http_and_their_exchange_folder(stubs: str, tmp_path: Path) -> None:
    key = department_key(SECRET, "health").hex()
    exchange = tmp_path / "exchange" / "health"  # the stubs' exchange folder for health (Settings.exchange_dir)
    status, stdout, stderr = run_kit(
        f"{stubs}/departments/health",
        "health",
        "--callback-key",
        key,
        "--key-id",
        "derived",
        "--exchange",
        str(exchange),
        "--batch-results",
        "callback",
    )
    assert verdicts(stdout) == dict.fromkeys(CHECKS, "PASS"), stdout
    assert status == 0
    assert "[13/13] timeouts PASS" in stderr  # progress, check by check
    assert "result after the batch run" in flat(stdout)  # batch-callback: the stubs called the batch back
    assert "answered once each" in flat(stdout)
    # The kit wrote two batches as the platform does; the stubs took both and the kit ingested their results.
    assert len(batches(exchange / "outbox" / "taken")) == 2
    assert batches(exchange / "inbox" / "ingested")
    assert not batches(exchange / "outbox")
    assert "health at " in flat(stdout)
    assert "conforms to the department contract" in stdout


def test_the_second_implementation_conforms_with_its_key_from_the_environment(tmp_path: Path) -> None:
    env = {"ONETHING_CONFORMANCE_CALLBACK_KEY": ALT_KEY.secret.hex(), "ONETHING_CONFORMANCE_KEY_ID": ALT_KEY.key_id}
    with alt(tmp_path) as server:
        status, stdout, _ = run_kit(f"{server.url}/hr-system/human_resources", "human_resources", env=env)
    assert verdicts(stdout) == {**dict.fromkeys(CHECKS, "PASS"), "batch-files": "SKIP", "batch-callback": "SKIP"}, (
        stdout
    )
    assert "no --exchange folder given" in flat(stdout)
    assert "--batch-results callback checks them" in flat(stdout)  # its results are pulled: nothing to call back
    assert status == 0


def test_a_department_that_refuses_materials_fails_the_submit_check(tmp_path: Path) -> None:
    with alt(tmp_path, "refuses-materials") as server:
        status, stdout, _ = run_kit(f"{server.url}/hr-system/human_resources", "human_resources", "--mode", "sync_rest")
    assert status == 1
    assert verdicts(stdout)["submit"] == "FAIL"
    assert "with materials) answered 422" in flat(stdout)
    assert verdicts(stdout)["idempotent-repeat"] == "PASS"


class BrokenBatchResponder:
    """A department's batch job that gets the files right but not idempotency: `fault` new-record-on-repeat
    answers a repeated key with a new receipt; answers-twice answers each submission twice."""

    def __init__(self, exchange: Path, key: bytes, fault: str) -> None:
        self.exchange, self.key, self.fault = exchange, key, fault
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def __enter__(self) -> BrokenBatchResponder:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)

    def run(self) -> None:
        while not self.stop.wait(0.05):
            for path in batches(self.exchange / "outbox"):
                lines = read_batch(path, lambda key_id: self.key if key_id == DERIVED_KEY_ID else None)
                set_aside(path, self.exchange / "outbox" / "taken")
                results = [
                    {
                        "idempotency_key": line["idempotency_key"],
                        "case_no": line["case_no"],
                        "item_code": line["item_code"],
                        "receipt_no": f"R-{uuid.uuid4().hex[:8]}",  # a new record every time: the fault
                        "status": "completed",
                        "output": dict.fromkeys(line["outputs"], "OK-1"),
                    }
                    for line in lines
                ]
                if self.fault == "answers-twice":
                    results += results
                name = f"results-{int(time.time())}-{uuid.uuid4().hex[:8]}"
                write_batch(
                    self.exchange / "inbox", name, results, key_id=DERIVED_KEY_ID, key=self.key, now=time.time()
                )


@pytest.mark.parametrize(
    ("fault", "complaint"),
    [
        ("new-record-on-repeat", "the repeated batch made a new record or changed a decision"),
        ("answers-twice", "2 submission(s) of one batch were answered more than once"),
    ],
)
def test_a_batch_job_that_is_not_idempotent_fails_the_batch_files_check(
    stubs: str, tmp_path: Path, fault: str, complaint: str
) -> None:
    key = department_key(SECRET, "health")
    exchange = tmp_path / "broken-exchange"
    with BrokenBatchResponder(exchange, key, fault):
        status, stdout, stderr = run_kit(
            f"{stubs}/departments/health",
            "health",
            *("--callback-key", key.hex(), "--key-id", "derived", "--mode", "batch", "--exchange", str(exchange)),
        )
    assert status == 1
    rows = verdicts(stdout)
    assert rows["batch-files"] == "FAIL", stdout
    assert complaint in flat(stdout)
    assert rows["batch-pull"] == "PASS"  # only what is broken fails
    assert stderr.splitlines()[-1] == "FAILED: batch-files"


def test_a_batch_signed_with_a_key_the_department_does_not_hold_is_refused_and_fails(
    stubs: str, tmp_path: Path
) -> None:
    exchange = tmp_path / "exchange" / "health"
    wrong = department_key("another-secret-of-32-bytes-or-more-0000", "health").hex()
    status, stdout, _ = run_kit(
        f"{stubs}/departments/health",
        "health",
        *("--callback-key", wrong, "--key-id", "derived", "--mode", "batch", "--exchange", str(exchange)),
    )
    assert status == 1
    assert verdicts(stdout)["batch-files"] == "FAIL"
    assert "moved the kit's batch to outbox/refused/" in flat(stdout)


def test_a_department_that_makes_a_new_record_on_a_repeated_key_fails_idempotency(tmp_path: Path) -> None:
    with alt(tmp_path, "new-record-on-repeat") as server:
        status, stdout, stderr = run_kit(
            f"{server.url}/hr-system/human_resources", "human_resources", "--callback-key", ALT_KEY.secret.hex()
        )
    assert status == 1
    assert verdicts(stdout)["idempotent-repeat"] == "FAIL"
    assert "a repeated key made a new record" in flat(stdout)
    assert "FAILED: " in stderr
    assert "idempotent-repeat" in stderr.split("FAILED: ")[1]
    assert verdicts(stdout)["callback-signed"] == "PASS"  # only what is broken fails


def test_a_department_that_signs_wrongly_fails_the_callback_check(tmp_path: Path) -> None:
    with alt(tmp_path, "wrong-signature") as server:
        status, stdout, stderr = run_kit(
            f"{server.url}/hr-system/human_resources",
            "human_resources",
            "--callback-key",
            ALT_KEY.secret.hex(),
            "--mode",
            "async_callback",
        )
    assert status == 1
    rows = verdicts(stdout)
    assert rows["callback-signed"] == "FAIL", stdout
    assert "X-Onething-Signature does not match" in flat(stdout)
    assert rows["idempotent-repeat"] == "PASS"
    assert rows["batch-pull"] == "SKIP"  # not a mode asked for: not applicable, not failed
    assert "callback-signed" in stderr.split("FAILED: ")[1]


def test_a_callback_under_another_key_id_fails(stubs: str) -> None:
    key = department_key(SECRET, "health").hex()
    status, stdout, _ = run_kit(
        f"{stubs}/departments/health", "health", "--callback-key", key, "--key-id", "k-new", "--mode", "async_callback"
    )
    assert status == 1
    assert verdicts(stdout)["callback-signed"] == "FAIL"
    assert "X-Onething-Key-Id is not the key id given" in flat(stdout)


def test_a_sync_only_department_needs_no_key_and_skips_the_callback_checks(stubs: str) -> None:
    status, stdout, _ = run_kit(f"{stubs}/departments/health", "health", "--mode", "sync_rest")
    rows = verdicts(stdout)
    assert status == 0, stdout
    assert {name for name, verdict in rows.items() if verdict == "SKIP"} == {
        "batch-pull",
        "batch-files",
        "batch-callback",
        "callback-signed",
        "callback-retry",
    }


def test_async_checks_without_a_key_fail_saying_which_option_gives_it(stubs: str) -> None:
    status, stdout, _ = run_kit(f"{stubs}/departments/health", "health", "--mode", "async_callback")
    assert status == 1
    assert verdicts(stdout)["callback-signed"] == "FAIL"
    assert "--callback-key" in flat(stdout)


def test_a_department_nobody_answers_at_fails_every_check_that_calls_it() -> None:
    status, stdout, stderr = run_kit("http://127.0.0.1:9/nothing", "health", "--mode", "sync_rest")
    assert status == 1
    rows = verdicts(stdout)
    assert rows["submit"] == "FAIL"
    assert "could not be reached" in flat(stdout)
    assert stderr.splitlines()[-1].startswith("FAILED: submit, ")


def test_a_department_slower_than_the_contract_allows_fails_naming_the_operation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The contract's limits are 30 and 60 s; a second here keeps the test short, the rule is the same.
    monkeypatch.setattr("cli.conformance.timeout_seconds", lambda _path, _method: 1.0)
    with alt(tmp_path, "slow-escalations") as server:
        status, stdout, _ = run_kit(f"{server.url}/hr-system/human_resources", "human_resources", "--mode", "sync_rest")
    assert status == 1
    rows = verdicts(stdout)
    assert rows["escalation"] == "FAIL"
    assert rows["timeouts"] == "FAIL"
    assert "POST /escalations did not answer within the contract's 1 s" in flat(stdout)
    assert "no answer within the contract's time: POST /escalations (limit 1 s)" in flat(stdout)
    assert rows["submit"] == "PASS"
