"""The real notice gateways: e-mail to a local SMTP server (aiosmtpd, a real SMTP conversation), SMS to a
fake HTTP SMS gateway (the gateway is not ours: its answers are what we must handle), each sent once."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message as EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession
from fastapi import FastAPI, Request, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio.exceptions import ApplicationError

from activities.message_gateways import (
    REFUSED,
    UNAVAILABLE,
    HttpSmsTransport,
    LedgerTransport,
    SmtpTransport,
    message_transport,
)
from activities.messages import Outgoing, RecordingTransport, deliver_message
from core.settings import Settings
from one_things.schema import Names
from persistence.messages import was_sent
from tests.support.db import migrated_engine
from tests.support.servers import ThreadedServer, free_port
from workflows.contracts import Channel, Message, MessageKind

OWNER = "acc-7f3a"
CASE = "20261206-ABCDEFGH"


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **{"message_timeout_seconds": 2, **values})  # type: ignore[call-arg]


def notice(channel: Channel) -> Message:
    return Message(
        owner=OWNER,
        case_no=CASE,
        kind=MessageKind.ITEM_DONE,
        item_code="first",
        thing_name=Names(zh="新生儿出生一件事", en="Newborn"),
        item_name=Names(zh="出生医学证明", en="Birth medical certificate"),
        channels=[channel],
    )


def outgoing(channel: Channel, key: str = "k:1") -> Outgoing:
    return Outgoing(key=key, owner=OWNER, case_no=CASE, channel=channel, text="标题\n正文")


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return migrated_engine(tmp_path)


# --- e-mail over SMTP ----------------------------------------------------------------------------


class Mailbox:
    """An aiosmtpd handler that keeps what it receives, or answers RCPT with a code the test sets."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.envelopes: list[Envelope] = []
        self.rcpt_answer: str | None = None

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: SmtpSession, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.rcpt_answer:
            return self.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:  # noqa: N802
        assert isinstance(envelope.content, bytes)
        self.envelopes.append(envelope)
        self.received.append(message_from_bytes(envelope.content, policy=default))
        return "250 Message accepted"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


def test_an_email_notice_reaches_the_smtp_server_once(
    engine: Engine, smtp_server: tuple[Mailbox, int], caplog: pytest.LogCaptureFixture
) -> None:
    mailbox, port = smtp_server
    config = settings(smtp_port=port, smtp_sender="notice@example.gov.cn", smtp_recipient_domain="relay.example.gov.cn")
    transport = LedgerTransport(engine, {Channel.EMAIL: SmtpTransport(config)})
    caplog.set_level(logging.DEBUG, logger="onething")

    assert deliver_message(engine, transport, notice(Channel.EMAIL), now=datetime.now(UTC)) is True
    assert deliver_message(engine, transport, notice(Channel.EMAIL), now=datetime.now(UTC)) is False

    [mail] = mailbox.received
    assert mailbox.envelopes[0].rcpt_tos == [f"{OWNER}@relay.example.gov.cn"]
    assert mail["From"] == "notice@example.gov.cn"
    assert mail["Subject"] == "已办结:出生医学证明"
    assert mail["Message-ID"].endswith("@example.gov.cn>")
    body = mail.get_content()
    assert CASE in body
    assert "Birth medical certificate" in body
    # The log names the channel and the business key, never the text or the address.
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("onething"))
    assert "email sent" in ours
    assert "出生医学证明" not in ours
    assert "relay.example.gov.cn" not in ours


@pytest.mark.parametrize(
    ("answer", "error_type", "retryable"),
    [("550 5.1.1 no such mailbox acc-7f3a", REFUSED, False), ("451 4.3.0 try again later", UNAVAILABLE, True)],
)
def test_smtp_refusals_are_final_and_deferrals_are_retried(
    smtp_server: tuple[Mailbox, int], answer: str, error_type: str, retryable: bool
) -> None:
    mailbox, port = smtp_server
    mailbox.rcpt_answer = answer
    with pytest.raises(ApplicationError) as raised:
        SmtpTransport(settings(smtp_port=port)).send(outgoing(Channel.EMAIL))
    assert raised.value.type == error_type
    assert raised.value.non_retryable is not retryable
    assert OWNER not in str(raised.value)  # the server's text quoted the address; ours does not
    assert mailbox.received == []


def test_an_smtp_relay_that_is_down_is_retried(engine: Engine) -> None:
    transport = LedgerTransport(engine, {Channel.EMAIL: SmtpTransport(settings(smtp_port=free_port()))})
    with pytest.raises(ApplicationError) as raised:
        transport.send(outgoing(Channel.EMAIL))
    assert raised.value.type == UNAVAILABLE
    assert not raised.value.non_retryable
    with Session(engine) as session:
        assert not was_sent(session, key="k:1")  # so the activity's retry sends it


def test_without_settings_notices_are_recorded_not_sent(engine: Engine) -> None:
    assert isinstance(message_transport(settings(), engine), RecordingTransport)


# --- SMS over HTTP -------------------------------------------------------------------------------


class FakeSmsGateway:
    """The SMS gateway's HTTP API as its documentation describes it; the next answers are set by the test."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.answers: list[Response] = []
        self.delay = 0.0
        self.app = FastAPI()
        self.app.post("/v1/sms")(self.send)

    async def send(self, request: Request) -> Response:
        self.requests.append((dict(request.headers), await request.json()))
        if self.delay:
            await asyncio.sleep(self.delay)  # a gateway that takes longer than the caller waits
        if self.answers:
            return self.answers.pop(0)
        return Response('{"status": "queued"}', status_code=202, media_type="application/json")


@pytest.fixture
def sms_gateway() -> Iterator[tuple[FakeSmsGateway, str]]:
    fake = FakeSmsGateway()
    with ThreadedServer(fake.app) as server:
        yield fake, f"{server.url}/v1/sms"


def test_an_sms_notice_is_posted_once_with_its_key_and_no_phone_number(
    engine: Engine, sms_gateway: tuple[FakeSmsGateway, str]
) -> None:
    fake, url = sms_gateway
    config = settings(message_transport="gateway", sms_url=url, sms_token="t0ken")
    transport = message_transport(config, engine)
    assert isinstance(transport, LedgerTransport)

    assert deliver_message(engine, transport, notice(Channel.SMS), now=datetime.now(UTC)) is True
    assert deliver_message(engine, transport, notice(Channel.SMS), now=datetime.now(UTC)) is False

    [(headers, body)] = fake.requests
    assert headers["authorization"] == "Bearer t0ken"
    assert headers["idempotency-key"] == f"{CASE}:item_done:first:0:sms"
    assert body["account"] == OWNER
    assert body["reference"] == headers["idempotency-key"]
    assert body["text"].startswith("【一网通办】")
    assert set(body) == {"account", "text", "reference"}


@pytest.mark.parametrize(
    ("status", "headers", "error_type", "retryable", "delay"),
    [
        (400, {}, REFUSED, False, None),
        (404, {}, REFUSED, False, None),
        (429, {"Retry-After": "7"}, UNAVAILABLE, True, 7),
        (503, {}, UNAVAILABLE, True, None),
        (500, {}, UNAVAILABLE, True, None),
    ],
)
def test_the_sms_gateways_error_answers(
    sms_gateway: tuple[FakeSmsGateway, str],
    status: int,
    headers: dict[str, str],
    error_type: str,
    retryable: bool,
    delay: int | None,
) -> None:
    fake, url = sms_gateway
    fake.answers.append(Response('{"error": "x"}', status_code=status, headers=headers))
    with pytest.raises(ApplicationError) as raised:
        HttpSmsTransport(settings(sms_url=url)).send(outgoing(Channel.SMS))
    assert raised.value.type == error_type
    assert raised.value.non_retryable is not retryable
    assert (raised.value.next_retry_delay.total_seconds() if raised.value.next_retry_delay else None) == delay


def test_an_sms_the_gateway_could_not_take_is_sent_on_the_retry_and_then_never_again(
    engine: Engine, sms_gateway: tuple[FakeSmsGateway, str]
) -> None:
    fake, url = sms_gateway
    transport = LedgerTransport(engine, {Channel.SMS: HttpSmsTransport(settings(sms_url=url))})
    fake.answers.append(Response(status_code=503))
    with pytest.raises(ApplicationError):
        transport.send(outgoing(Channel.SMS))
    transport.send(outgoing(Channel.SMS))  # the activity's retry
    transport.send(outgoing(Channel.SMS))  # a later run: already sent
    assert len(fake.requests) == 2


def test_a_gateway_that_does_not_answer_fails_within_the_timeout(sms_gateway: tuple[FakeSmsGateway, str]) -> None:
    fake, url = sms_gateway
    fake.delay = 4
    started = time.monotonic()
    with pytest.raises(ApplicationError) as raised:
        HttpSmsTransport(settings(sms_url=url, message_timeout_seconds=0.5)).send(outgoing(Channel.SMS))
    assert raised.value.type == UNAVAILABLE
    assert not raised.value.non_retryable
    assert time.monotonic() - started < 3.5  # answered within its timeout, not when the gateway gave up


def test_the_gateway_transport_needs_an_sms_url() -> None:
    with pytest.raises(ValueError, match="ONETHING_SMS_URL"):
        settings(message_transport="gateway")
