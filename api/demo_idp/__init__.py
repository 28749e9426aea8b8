"""The demo identity provider: a small but real OpenID Connect provider for the embedded stack only.

The API serves it under /demo-idp when no ONETHING_OIDC_ISSUER is set, so development signs in through the
same OpenID Connect client code as production; production refuses to start without a real issuer.
"""
