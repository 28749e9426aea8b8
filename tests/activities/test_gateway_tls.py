"""A department that wants a client certificate (mutual TLS) is reached with the one the registry names."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi import FastAPI, Request

from activities.gateways import DepartmentHttp, GatewayContext, Gateways
from one_things.department_registry import parse_registry_text
from one_things.schema import IntegrationMode
from tests.activities.test_gateways import submission
from tests.support.servers import free_port


def _certificate(
    name: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[str, ec.EllipticCurvePrivateKey] | None, ca: bool
) -> x509.Certificate:
    now = datetime.now(UTC)
    issuer_name, issuer_key = issuer or (name, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(folder: Path, name: str, certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    (folder / f"{name}.crt").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / f"{name}.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


@pytest.fixture
def tls_department(tmp_path: Path) -> Iterator[tuple[str, Path, list[str]]]:
    """A department system on HTTPS that refuses any client without a certificate of its CA."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("department CA", ca_key, None, ca=True)
    _write(tmp_path, "ca", ca, ca_key)
    for name in ("server", "client"):
        key = ec.generate_private_key(ec.SECP256R1())
        _write(
            tmp_path,
            name,
            _certificate("localhost" if name == "server" else name, key, ("department CA", ca_key), ca=False),
            key,
        )
    seen: list[str] = []
    app = FastAPI()

    @app.post("/gov/submissions")
    async def submit(request: Request) -> dict[str, object]:
        body = await request.json()
        seen.append(body["idempotency_key"])
        return {"receipt_no": "R-TLS", "idempotency_key": body["idempotency_key"], "status": "accepted"}

    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ssl_certfile=str(tmp_path / "server.crt"),
        ssl_keyfile=str(tmp_path / "server.key"),
        ssl_ca_certs=str(tmp_path / "ca.crt"),
        ssl_cert_reqs=ssl.CERT_REQUIRED,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "TLS test server did not start"
        assert thread.is_alive(), "TLS test server did not start"
        time.sleep(0.02)
    yield f"https://localhost:{port}/gov", tmp_path, seen
    server.should_exit = True
    thread.join(timeout=10)


async def test_the_client_certificate_of_the_registry_opens_the_department(
    tls_department: tuple[str, Path, list[str]],
) -> None:
    url, certs, seen = tls_department
    text = f"""\
version: 1
departments:
  police:
    name: {{zh: 公安, en: Police}}
    modes: [sync_rest]
    base_url: "{url}"
    auth: {{kind: mtls, cert_file: {certs}/client.crt, key_file: {certs}/client.key, ca_file: {certs}/ca.crt}}
"""
    registry, errors = parse_registry_text(text)
    assert registry is not None, errors
    async with httpx.AsyncClient() as client:
        http = DepartmentHttp(client)
        gateway = Gateways(registry, GatewayContext(http, "https://platform.example")).for_mode(
            "police", IntegrationMode.SYNC_REST
        )
        reply = await gateway.submit(submission())
        await http.aclose()
    # The same department, its server trusted, but no client certificate: it refuses the connection.
    trusting = ssl.create_default_context(cafile=str(certs / "ca.crt"))
    async with httpx.AsyncClient(verify=trusting) as anonymous:
        with pytest.raises(httpx.HTTPError):
            await anonymous.post(f"{url}/submissions", json={"idempotency_key": "X"}, timeout=5)
    assert reply.receipt_no == "R-TLS"
    assert seen == ["C1:hukou"]
