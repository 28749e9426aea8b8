"""The demo provider's protocol side: discovery, keys, authorization codes, the token endpoint's checks.

Codes are short-lived signed JWTs remembered once redeemed (single use, in this process's memory): enough
for one development process, which is all this provider ever serves.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey, RSAKey

from core.settings import Settings

CODE_SECONDS = 60
ID_TOKEN_SECONDS = 300
ACCESS_TOKEN_SECONDS = 600
DEMO_LEVEL = 3
"""The real-name level the demo provider vouches for (a face-checked resident)."""


@dataclass(frozen=True)
class DemoAccount:
    subject: str
    role: str
    department: str | None = None
    level: int = DEMO_LEVEL


class DemoIdpError(Exception):
    """A request the provider refuses; `error` is the OAuth error code."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class DemoProvider:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.issuer = settings.issuer_url
        # A fresh key per process: sessions are ours once signed in, so a restart loses nothing that matters.
        self.key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(8), "use": "sig", "alg": "RS256"})
        code_secret = hmac.new(settings.secret_key.encode(), b"demo-idp-code", hashlib.sha256).digest()
        self._code_key = OctKey.import_key(code_secret)
        self._redeemed: dict[str, int] = {}
        """Codes already exchanged, until they expire anyway."""

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "end_session_endpoint": f"{self.issuer}/logout",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid"],
            "claims_supported": ["sub", "real_name_level", "role", "department"],
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False)]}

    def check_authorization(self, params: dict[str, str]) -> None:
        """Refused before anything is shown; never redirects to a redirect_uri it did not register."""
        if params.get("client_id") != self.settings.oidc_client_id:
            raise DemoIdpError("unauthorized_client", "Unknown client_id.")
        if params.get("redirect_uri") != self.settings.redirect_url:
            raise DemoIdpError("invalid_request", "redirect_uri is not the registered one.")
        if params.get("response_type") != "code" or "openid" not in params.get("scope", "").split():
            raise DemoIdpError("invalid_request", "Only response_type=code with scope openid is supported.")
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            raise DemoIdpError("invalid_request", "PKCE with S256 is required.")

    def issue_code(self, account: DemoAccount, params: dict[str, str]) -> str:
        now = int(time.time())
        claims = {
            "jti": secrets.token_urlsafe(16),
            "exp": now + CODE_SECONDS,
            "account": {
                "sub": account.subject,
                "role": account.role,
                "department": account.department,
                "real_name_level": account.level,
            },
            "client_id": params["client_id"],
            "redirect_uri": params["redirect_uri"],
            "nonce": params.get("nonce"),
            "code_challenge": params["code_challenge"],
        }
        return jwt.encode({"alg": "HS256"}, claims, self._code_key)

    def redeem(self, form: dict[str, str], client_id: str | None, client_secret: str | None) -> dict[str, Any]:
        """The token endpoint: client authentication, the code, PKCE; then signed ID and access tokens."""
        if not (
            client_id == self.settings.oidc_client_id
            and client_secret is not None
            and hmac.compare_digest(client_secret, self.settings.oidc_client_secret)
        ):
            raise DemoIdpError("invalid_client", "Client authentication failed.")
        if form.get("grant_type") != "authorization_code":
            raise DemoIdpError("unsupported_grant_type", "Only authorization_code.")
        try:
            code = jwt.decode(form.get("code", ""), self._code_key, algorithms=["HS256"]).claims
            jwt.JWTClaimsRegistry(exp={"essential": True}).validate(code)
        except (JoseError, ValueError) as error:
            raise DemoIdpError("invalid_grant", "The code is invalid or expired.") from error
        verifier = form.get("code_verifier", "")
        if (
            code["jti"] in self._redeemed
            or code["client_id"] != client_id
            or code["redirect_uri"] != form.get("redirect_uri")
            or not hmac.compare_digest(create_s256_code_challenge(verifier), code["code_challenge"])
        ):
            raise DemoIdpError("invalid_grant", "The code was used, or does not match this request.")
        now = int(time.time())
        self._redeemed = {jti: exp for jti, exp in self._redeemed.items() if exp > now}
        self._redeemed[code["jti"]] = int(code["exp"])
        account = {k: v for k, v in code["account"].items() if v is not None}
        id_token = self.sign(account, audience=client_id, seconds=ID_TOKEN_SECONDS, nonce=code["nonce"])
        access = self.sign(account, audience=self.settings.api_audience, seconds=ACCESS_TOKEN_SECONDS)
        return {
            "access_token": access,
            "id_token": id_token,
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_SECONDS,
        }

    def sign(self, account: dict[str, Any], *, audience: str, seconds: int, nonce: str | None = None) -> str:
        now = int(time.time())
        claims = {**account, "iss": self.issuer, "aud": audience, "iat": now, "exp": now + seconds}
        if nonce:
            claims["nonce"] = nonce
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)
