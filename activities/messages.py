"""Citizen notices: the in-app inbox plus SMS and e-mail, behind one activity.

The SMS/e-mail gateway is an edge we do not own, so it sits behind `Transport`. The development
transport records what would have been sent in `outgoing_messages` instead of sending it. Both the
inbox row and each channel's send are keyed by the message's business facts, so an activity retry or
a workflow replay sends nothing twice (a real gateway receives the same key as its dedup id).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio import activity

from activities.message_texts import Text, expiry_round, render
from core.clock import SYSTEM_CLOCK, Clock
from one_things.schema import Names
from persistence.db import session_scope
from persistence.messages import add_inbox_message, message_key, record_outgoing
from workflows.contracts import Channel, Message, MessageKind

log = logging.getLogger("onething.messages")


@dataclass(frozen=True)
class Outgoing:
    key: str
    owner: str
    """The account id; the gateway looks up the phone number or address itself."""
    case_no: str
    channel: Channel
    text: str


class Transport(Protocol):
    def send(self, outgoing: Outgoing) -> None:
        """Sends once per `outgoing.key`; raises on a failure worth retrying."""


class RecordingTransport:
    """Development transport: records outgoing SMS and e-mail in a table instead of sending them."""

    def __init__(self, engine: Engine, clock: Clock = SYSTEM_CLOCK) -> None:
        self._engine = engine
        self._clock = clock

    def send(self, outgoing: Outgoing) -> None:
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


def add_to_inbox(
    session: Session, message: Message, text: Text, *, now: datetime, held: set[tuple[str, str, int]] | None = None
) -> bool:
    """The owner's inbox row in both languages, keyed by the message's business facts; whether it was new.
    `held`: the case's inbox keys read in this transaction, if the caller has them (`add_inbox_message`)."""
    return add_inbox_message(
        session,
        owner=message.owner,
        case_no=message.case_no,
        kind=message.kind.value,
        item_code=message.item_code,
        round=message.round,
        title=(text.title_zh, text.title_en),
        body=(text.body_zh, text.body_en),
        now=now,
        held=held,
    )


def deliver_message(engine: Engine, transport: Transport, message: Message, *, now: datetime) -> bool:
    """Puts the message in the owner's inbox and sends it on its channels. Returns whether it was new.

    The inbox row commits first: if a channel then fails, the retry finds the row and only resends.
    """
    text = render(message)
    key = message_key(case_no=message.case_no, kind=message.kind, item_code=message.item_code, round=message.round)
    with session_scope(engine) as session:
        added = add_to_inbox(session, message, text, now=now)
    for channel in message.channels:
        transport.send(
            Outgoing(
                key=f"{key}:{channel.value}",
                owner=message.owner,
                case_no=message.case_no,
                channel=channel,
                text=text.for_channel(channel),
            )
        )
    log.info(
        "message %s for case %s item %s %s",
        message.kind.value,
        message.case_no,
        message.item_code or "-",
        "sent" if added else "already sent",
    )
    return added


def licence_expiring(
    *,
    owner: str,
    case_no: str,
    item_code: str,
    thing_name: Names,
    licence_name: Names,
    last_valid_day: date,
    lead_days: int | None = None,
) -> Message:
    """The licence wallet's notice; pass it to `deliver_message` or `MessageActivities.send_message`."""
    return Message(
        owner=owner,
        case_no=case_no,
        kind=MessageKind.LICENCE_EXPIRING,
        item_code=item_code,
        round=expiry_round(last_valid_day, lead_days),
        thing_name=thing_name,
        item_name=licence_name,
    )


class MessageActivities:
    def __init__(self, engine: Engine, transport: Transport, clock: Clock = SYSTEM_CLOCK) -> None:
        self._engine = engine
        self._transport = transport
        self._clock = clock

    @activity.defn
    def send_message(self, message: Message) -> bool:
        return deliver_message(self._engine, self._transport, message, now=self._clock.now())
