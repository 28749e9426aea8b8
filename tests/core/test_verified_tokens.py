"""Verified tokens are remembered only for what verifying them decided: same secret, same rule, before expiry."""

from __future__ import annotations

import time

import pytest

from core.auth import InvalidTokenError, Principal, Role, VerifiedTokens, issue_token

SECRET = "a-secret-of-enough-length-for-hs256-0123456789"
CITIZEN = Principal(role=Role.CITIZEN, subject="citizen-1")


def test_a_token_read_again_gives_the_same_principal_and_a_copy_of_it() -> None:
    tokens = VerifiedTokens()
    token = issue_token(SECRET, CITIZEN)
    before = int(time.time())
    first = tokens.read(SECRET, token, demo_allowed=True)
    first.principal.subject = "changed by a caller"
    again = tokens.read(SECRET, token, demo_allowed=True)
    assert again.principal == CITIZEN
    assert before - 1 <= again.issued_at <= time.time()  # what ending a session is compared with


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    tokens = VerifiedTokens()
    token = issue_token(SECRET, CITIZEN, ttl_seconds=1)
    assert tokens.read(SECRET, token, demo_allowed=True).principal == CITIZEN
    time.sleep(2.1)
    with pytest.raises(InvalidTokenError):
        tokens.read(SECRET, token, demo_allowed=True)


def test_a_remembered_token_is_refused_under_another_secret_or_without_demo_tokens() -> None:
    tokens = VerifiedTokens()
    token = issue_token(SECRET, CITIZEN)  # a locally minted (demo) token
    tokens.read(SECRET, token, demo_allowed=True)
    with pytest.raises(InvalidTokenError):
        tokens.read("another-secret-of-enough-length-0123456789", token, demo_allowed=True)
    with pytest.raises(InvalidTokenError):
        tokens.read(SECRET, token, demo_allowed=False)


def test_it_holds_at_most_its_size() -> None:
    tokens = VerifiedTokens(size=2)
    issued = [issue_token(SECRET, Principal(role=Role.CITIZEN, subject=f"c-{n}")) for n in range(3)]
    for token in issued:
        tokens.read(SECRET, token, demo_allowed=True)
    assert len(tokens._entries) == 2
    assert tokens.read(SECRET, issued[0], demo_allowed=True).principal.subject == "c-0"  # read again, not lost
