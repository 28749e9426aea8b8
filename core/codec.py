"""The encrypting payload codec: every payload the Temporal server stores is AES-256-GCM ciphertext.

Workflow inputs carry application forms (names, resident ID numbers), so neither the Temporal UI nor
`temporal workflow show` may see plaintext. Every client (API, worker, tests, tools) uses this codec.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted-aes256gcm"
KEY_ID = "onething-v1"
"""Recorded in each payload so a later key rotation can still read old histories."""
NONCE_BYTES = 12


class EncryptionCodec(PayloadCodec):
    def __init__(self, key_b64: str, key_id: str = KEY_ID) -> None:
        key = base64.b64decode(key_b64)
        if len(key) != 32:
            raise ValueError("ONETHING_CODEC_KEY must be base64 of exactly 32 bytes (AES-256)")
        self._aead = AESGCM(key)
        self._key_id = key_id

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._encrypt(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._decrypt(payload) for payload in payloads]

    def _encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, payload.SerializeToString(), None)
        return Payload(
            metadata={"encoding": ENCODING, "encryption-key-id": self._key_id.encode()},
            data=nonce + sealed,
        )

    def _decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        key_id = payload.metadata.get("encryption-key-id", b"").decode()
        if key_id != self._key_id:
            raise ValueError(f"payload was encrypted with key {key_id!r}, this process holds {self._key_id!r}")
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        return Payload.FromString(self._aead.decrypt(nonce, sealed, None))
