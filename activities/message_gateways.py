"""The real SMS and e-mail gateways behind `Transport`: e-mail over SMTP, SMS to an HTTP gateway.

Both are edges we do not own. Each send has a timeout (`message_timeout_seconds`); a failure worth
retrying raises a retryable ApplicationError, so the calling activity's retry policy (policies.MESSAGE,
policies.REMINDERS) decides when to try again; a refusal (the gateway says this message will never be
taken) is non-retryable. `LedgerTransport` sends each key once: it looks the key up in
`outgoing_messages` before sending and records it after, so the daily reminder sweep, an activity retry or
a replay does not send a notice twice (a crash between the send and the record resends once, with the
same key as the gateway's dedup id: SMTP Message-ID, the SMS gateway's Idempotency-Key).
Nothing personal goes into a log or an error text: no address, no text, only the channel, the status
and the message key (business facts: case number, kind, item, round).
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage

import httpx
from sqlalchemy.engine import Engine
from temporalio.exceptions import ApplicationError

from activities.gateways.http import RETRY_AFTER_STATUS, RETRYABLE_STATUS, retry_after
from activities.messages import Outgoing, RecordingTransport, Transport
from core.clock import SYSTEM_CLOCK, Clock
from core.settings import Settings
from persistence.db import session_scope
from persistence.messages import record_outgoing, was_sent
from workflows.contracts import Channel

log = logging.getLogger("onething.message_gateways")

UNAVAILABLE = "MessageGatewayUnavailable"
"""Retryable: the gateway could not be reached or asked us to come back later."""
REFUSED = "MessageGatewayRefused"
"""Non-retryable: the gateway refuses this message as it is."""

MAX_RETRY_AFTER = timedelta(minutes=10)
"""The longest Retry-After honoured; a gateway asking for longer is retried by the policy's own backoff."""


def message_id(key: str, sender: str) -> str:
    # Derived from the key, so a resend after a crash carries the same Message-ID and a mail system that
    # deduplicates drops it; hashed, so the header says nothing about the case.
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@{sender.rpartition('@')[2] or 'onething.invalid'}>"


class SmtpTransport:
    """E-mail through an SMTP relay (smtplib: the standard library's client does all we need)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def send(self, outgoing: Outgoing) -> None:
        s = self._settings
        mail = EmailMessage()
        title, _, _ = outgoing.text.partition("\n")
        mail["Subject"] = title
        mail["From"] = s.smtp_sender
        mail["To"] = f"{outgoing.owner}@{s.smtp_recipient_domain}"
        mail["Message-ID"] = message_id(outgoing.key, s.smtp_sender)
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies back to us
        mail.set_content(outgoing.text)
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.message_timeout_seconds) as smtp:
                if s.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.smtp_username:
                    smtp.login(s.smtp_username, s.smtp_password)
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as error:
            codes = sorted({code for code, _ in error.recipients.values()})
            raise _smtp_error(codes[0] if codes else 550) from None
        except smtplib.SMTPResponseException as error:
            raise _smtp_error(error.smtp_code) from None
        except (OSError, smtplib.SMTPException) as error:
            # Connection refused, timed out or dropped: the relay may be back on the next attempt.
            raise ApplicationError(f"SMTP relay unreachable ({type(error).__name__})", type=UNAVAILABLE) from None


def _smtp_error(code: int) -> ApplicationError:
    # RFC 5321: 4yz is transient, 5yz permanent. The server's text is left out: it may quote the address.
    if 400 <= code < 500:
        return ApplicationError(f"SMTP relay deferred the message ({code})", type=UNAVAILABLE)
    return ApplicationError(f"SMTP relay refused the message ({code})", type=REFUSED, non_retryable=True)


class HttpSmsTransport:
    """SMS through the government SMS gateway's HTTP API: POST JSON, bearer token, the key as Idempotency-Key.

    The gateway is given the account id, not a phone number: it resolves the number itself, so none is
    kept or logged here.
    """

    def __init__(
        self, settings: Settings, clock: Clock = SYSTEM_CLOCK, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._http_transport = transport

    def send(self, outgoing: Outgoing) -> None:
        s = self._settings
        headers = {"Idempotency-Key": outgoing.key}
        if s.sms_token:
            headers["Authorization"] = f"Bearer {s.sms_token}"
        body = {"account": outgoing.owner, "text": outgoing.text, "reference": outgoing.key}
        try:
            with httpx.Client(timeout=s.message_timeout_seconds, transport=self._http_transport) as client:
                response = client.post(s.sms_url, json=body, headers=headers)
        except httpx.HTTPError as error:
            raise ApplicationError(f"SMS gateway unreachable ({type(error).__name__})", type=UNAVAILABLE) from None
        status = response.status_code
        if response.is_success:
            return
        if 400 <= status < 500 and status not in RETRYABLE_STATUS:
            raise ApplicationError(f"SMS gateway refused the message ({status})", type=REFUSED, non_retryable=True)
        delay = (
            retry_after(response, cap=MAX_RETRY_AFTER, now=self._clock.now()) if status in RETRY_AFTER_STATUS else None
        )
        raise ApplicationError(f"SMS gateway unavailable ({status})", type=UNAVAILABLE, next_retry_delay=delay)


class LedgerTransport:
    """Sends each channel through its gateway once per key, recording what was sent."""

    def __init__(self, engine: Engine, gateways: dict[Channel, Transport], clock: Clock = SYSTEM_CLOCK) -> None:
        self._engine = engine
        self._gateways = gateways
        self._clock = clock

    def send(self, outgoing: Outgoing) -> None:
        with session_scope(self._engine) as session:
            if was_sent(session, key=outgoing.key):
                return
        self._gateways[outgoing.channel].send(outgoing)
        with session_scope(self._engine) as session:
            record_outgoing(
                session,
                key=outgoing.key,
                owner=outgoing.owner,
                case_no=outgoing.case_no,
                channel=outgoing.channel.value,
                text=outgoing.text,
                now=self._clock.now(),
            )
        log.info("%s sent: %s", outgoing.channel.value, outgoing.key)


def message_transport(settings: Settings, engine: Engine, clock: Clock = SYSTEM_CLOCK) -> Transport:
    """The transport `ONETHING_MESSAGE_TRANSPORT` names: `record` (development) or `gateway`."""
    if settings.message_transport == "gateway":
        gateways: dict[Channel, Transport] = {
            Channel.EMAIL: SmtpTransport(settings),
            Channel.SMS: HttpSmsTransport(settings, clock),
        }
        return LedgerTransport(engine, gateways, clock)
    return RecordingTransport(engine, clock)
