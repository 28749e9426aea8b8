"""The OpenID Connect relying party: discovery, the authorization-code flow with PKCE, token validation.

Authlib prepares the protocol messages (the authorization URL, the PKCE challenge, the token request) and
joserfc, Authlib's JOSE library, verifies signatures against the provider's JWKS and checks the registered
claims. What is ours is the glue: caching the provider's metadata and keys, and which checks each token needs.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from core.settings import Settings

# Asymmetric only: `none` is never a signature, and an HS* token "signed" with the provider's public key
# (algorithm confusion) must not pass as the provider's. Our own HS256 tokens are read elsewhere (core/auth).
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
METADATA_TTL_SECONDS = 3600
KEYS_REFRESH_MIN_SECONDS = 60
"""A token naming an unknown key refreshes the JWKS (the provider rotated), at most this often."""


class OidcError(Exception):
    """A sign-in or token refused; `rule` names what failed, `fix` what the person or operator can do."""

    def __init__(self, rule: str, fix: str) -> None:
        super().__init__(rule)
        self.rule = rule
        self.fix = fix


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the browser, and the secrets to keep (in the flow cookie) until the callback."""

    url: str
    state: str
    nonce: str
    code_verifier: str


class OidcClient:
    """One identity provider, as configured in settings; its metadata and keys are cached in memory."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._transport = transport
        self._clock = clock
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None
        self._keys_at = 0.0

    @property
    def issuer(self) -> str:
        return self._settings.issuer_url

    def _http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self._transport, timeout=10.0)

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with self._http() as http:
                response = await http.get(url)
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise OidcError(
                "The identity provider is not reachable", "Try again shortly; operators: check ONETHING_OIDC_ISSUER."
            ) from error
        if not isinstance(body, dict):
            raise OidcError("The identity provider answered something other than JSON", "Check ONETHING_OIDC_ISSUER.")
        return body

    async def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (OpenID Connect Discovery 1.0), re-read once an hour."""
        if self._metadata is None or self._clock() - self._metadata_at > METADATA_TTL_SECONDS:
            found = await self._get_json(f"{self.issuer}/.well-known/openid-configuration")
            if found.get("issuer") != self.issuer:  # Discovery §4.3: it must be exactly the issuer we asked
                raise OidcError("The discovery document names another issuer", "Set ONETHING_OIDC_ISSUER exactly.")
            for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(found.get(field), str):
                    raise OidcError(f"The discovery document has no {field}", "Check the provider's configuration.")
            self._metadata, self._metadata_at = found, self._clock()
        return self._metadata

    async def _key_set(self, kid: str | None) -> KeySet:
        stale = self._keys is None or (
            kid is not None
            and kid not in {key.kid for key in self._keys.keys}
            and self._clock() - self._keys_at > KEYS_REFRESH_MIN_SECONDS
        )
        if stale:
            document = await self._get_json(str((await self.metadata())["jwks_uri"]))
            try:
                self._keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
            except (JoseError, ValueError, TypeError, KeyError) as error:
                raise OidcError("The provider's JWKS cannot be read", "Check the provider's jwks_uri.") from error
            self._keys_at = self._clock()
        assert self._keys is not None
        return self._keys

    async def authorization_request(self, **extra: str) -> AuthorizationRequest:
        """The authorization-code request with PKCE (S256), state and nonce."""
        endpoint = str((await self.metadata())["authorization_endpoint"])
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        url = prepare_grant_uri(
            endpoint,
            self._settings.oidc_client_id,
            "code",
            redirect_uri=self._settings.redirect_url,
            scope=self._settings.oidc_scopes,
            state=state,
            nonce=nonce,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
            **extra,
        )
        return AuthorizationRequest(url=str(url), state=state, nonce=nonce, code_verifier=verifier)

    async def exchange_code(self, code: str, *, code_verifier: str, nonce: str) -> dict[str, Any]:
        """The token endpoint's answer to our code; returns the validated ID token's claims."""
        metadata = await self.metadata()
        body = prepare_token_request(
            "authorization_code", code=code, redirect_uri=self._settings.redirect_url, code_verifier=code_verifier
        )
        client_id, secret = self._settings.oidc_client_id, self._settings.oidc_client_secret
        methods = metadata.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        if "client_secret_basic" in methods:  # RFC 6749 §2.3.1: form-encode both before base64
            pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}"
            headers["Authorization"] = f"Basic {base64.b64encode(pair.encode()).decode()}"
        else:
            body = f"{body}&{urlencode({'client_id': client_id, 'client_secret': secret})}"
        try:
            async with self._http() as http:
                response = await http.post(str(metadata["token_endpoint"]), content=body, headers=headers)
            answer = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise OidcError("The identity provider is not reachable", "Try signing in again shortly.") from error
        if response.status_code != 200 or not isinstance(answer, dict) or not isinstance(answer.get("id_token"), str):
            raise OidcError("The identity provider refused the sign-in code", "Sign in again from the start.")
        return await self.validate_id_token(answer["id_token"], nonce=nonce)

    async def validate_id_token(self, token: str, *, nonce: str) -> dict[str, Any]:
        """OpenID Connect Core §3.1.3.7: signature (JWKS), iss, aud (and azp), exp, iat, nonce."""
        claims = await self._verified_claims(token, audience=self._settings.oidc_client_id, nonce=nonce)
        audience = claims.get("aud")
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != self._settings.oidc_client_id:
            raise OidcError("The ID token was issued to another client", "Sign in again.")
        return claims

    async def validate_bearer(self, token: str) -> dict[str, Any]:
        """A provider-signed JWT (ID or access token) presented to the API: signature, iss, aud, exp."""
        return await self._verified_claims(token, audience=self._settings.api_audience, nonce=None)

    async def _verified_claims(self, token: str, *, audience: str, nonce: str | None) -> dict[str, Any]:
        try:
            header = jws.extract_compact(token.encode()).protected
        except (JoseError, ValueError) as error:
            raise OidcError("The token is not a signed JWT", "Sign in again.") from error
        if header.get("alg") not in SIGNING_ALGORITHMS:
            raise OidcError(f"The token's algorithm {header.get('alg')!r} is not accepted", "Sign in again.")
        keys = await self._key_set(header.get("kid"))
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": self.issuer},
            "aud": {"essential": True, "value": audience},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "iat": {"essential": True},
        }
        if nonce is not None:
            options["nonce"] = {"essential": True, "value": nonce}
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(self._clock()), leeway=self._settings.oidc_leeway_seconds, **options
        )
        try:
            verified = jwt.decode(token, keys, algorithms=list(SIGNING_ALGORITHMS))
            registry.validate(verified.claims)
        except (JoseError, ValueError) as error:
            # The error names the failed check (signature, aud, exp, nonce…): safe to log, no personal data.
            raise OidcError(f"The token was refused: {type(error).__name__}", "Sign in again.") from error
        return dict(verified.claims)

    async def end_session_url(self, post_logout_redirect_uri: str) -> str | None:
        """RP-initiated logout at the provider, when it advertises an end_session_endpoint."""
        try:
            endpoint = (await self.metadata()).get("end_session_endpoint")
        except OidcError:
            return None  # our session is already gone; the provider's own is its business then
        if not isinstance(endpoint, str):
            return None
        query = urlencode(
            {"client_id": self._settings.oidc_client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
        )
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
