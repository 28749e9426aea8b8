"""The one settings class. Defaults run the embedded stack; production refuses the default secrets."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from limits import parse
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "onething-embedded-dev-secret-change-me-in-production"  # noqa: S105 - the embedded stack's well-known default
DEV_CODEC_KEY = "b25ldGhpbmctZGV2LWNvZGVjLWtleS0zMi1ieXRlcyE="  # base64 of 32 bytes, dev only
DEV_CALLBACK_KEYS_KEY = "b25ldGhpbmctZGV2LWNhbGxiYWNrLWtleXMtMzJiISE="  # Fernet key, dev only
DEV_OIDC_CLIENT_SECRET = "onething-demo-idp-client-secret"  # noqa: S105 - the embedded demo provider's client
DEMO_IDP_PATH = "/demo-idp"
CALLBACK_PATH = "/auth/callback"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONETHING_", env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path("data")

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_ui_port: int = 8233
    task_queue: str = "onething"

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    departments_host: str = "127.0.0.1"
    departments_port: int = 8100
    metrics_port: int = 9464
    """Where the worker exposes Prometheus metrics (its own and the Temporal SDK's)."""
    worker_shutdown_seconds: float = 30.0
    """On SIGTERM a worker stops taking work and gives its running activities this long to finish (a
    department call in flight then completes instead of being cancelled and sent again by another worker)."""
    metrics_host: str = "127.0.0.1"
    """The address the worker's metrics bind to: 0.0.0.0 in a container that Prometheus scrapes from outside."""
    worker_health_port: int = 9465
    """The worker's `/healthz` (alive) and `/readyz` (polling Temporal); bound on `metrics_host` too."""
    worker_format_guard: bool = True
    """A worker starting looks for workers of another projection write format on its task queue and waits
    (core/worker_guard.py). `false` starts it without looking: only when the operator knows the others write the
    same format (docs/operations.md, "Upgrade procedure")."""
    worker_format_guard_recent_seconds: float = Field(default=90.0, gt=0)
    """A poller seen within this long counts as running. Longer than the server's long poll (1 minute by default),
    during which an idle running worker does not poll again; a stopped worker is forgotten after this long."""
    worker_format_guard_timeout_seconds: float = Field(default=300.0, ge=0)
    """How long a starting worker waits for workers of another format to stop before it exits with code 3 (its
    restart policy then starts it again)."""

    log_format: Literal["json", "text", ""] = ""
    """`json` (one object a line, for a log collector) or `text`; empty means json in production, text in
    development so `scripts/run` stays readable."""
    otel_endpoint: str = ""
    """OTLP/HTTP collector base URL (e.g. http://otel-collector:4318) for traces; empty means no tracing at all."""
    otel_service_name: str = ""
    """The `service.name` of this process's spans; empty means onething-api / -worker / -departments."""

    catalog_dir: Path | None = None
    """The folder of one-thing definitions (*.yaml); empty means the package's own catalogue."""

    department_registry: Path | None = None
    """The department registry (YAML: base URL, credentials, timeouts, field mapping per department); empty means
    the package's demo registry, which reaches the stubs (docs/departments.md)."""

    calendar_dir: Path | None = None
    """Where `onething calendar load` keeps each year's official 调休 schedule (one file a year), read by the API
    and the workers; empty means data_dir/calendar. Shared by every process, like the database."""
    calendar_adjustments: Path | None = None
    """An older single YAML of extra days (days_off, workdays), still counted; prefer `onething calendar load`."""

    database_url: str = ""
    """SQLAlchemy URL of the projection; empty means a SQLite file in data_dir."""
    departments_database_url: str = ""
    """The department stubs' own database; empty means a SQLite file in data_dir."""
    departments_exchange_dir: Path | None = None
    """The demo stack's data-pipeline exchange folder (`{exchange_dir}` in the demo registry, where the stubs
    look for batches); empty means data_dir/exchange."""

    material_url_hours: int = 72
    """How long the download URL of an uploaded material, sent to a department with the submission, works."""

    db_pool_size: int = 10
    """Connections the API keeps open to the projection; PostgreSQL's max_connections must cover every process."""
    db_max_overflow: int = 10
    """Extra connections opened under a burst beyond db_pool_size, closed again when returned."""
    db_pool_timeout_seconds: float = 5.0
    """How long a request waits for a free connection before it is answered 503 with Retry-After (never a hang)."""
    api_workers: int = Field(default=1, ge=1, le=64)
    """API processes serving the one port (uvicorn workers; docs/operations.md#api-worker-processes). Each has its
    own thread pool, database pool (db_pool_size + db_max_overflow) and event loop. 1: on a 2-core machine that also
    runs the worker and Temporal a second gave no consistent gain (docs/benchmarks.md); give it about one process
    per core the API may use on its own."""
    api_threads: int = 40
    """The API's thread pool (FastAPI runs plain `def` routes and all database work in it). More threads than
    db_pool_size + db_max_overflow only queue on the pool; fewer leave connections idle under load."""
    temporal_rpc_seconds: float = 5.0
    """The longest any call from the API into Temporal may take (connect, start, update, query); past it the
    request is answered 503 with Retry-After, or for an accepted application left to the starter."""
    outbox_poll_seconds: float = 2.0
    """How often each API process's starter looks for accepted commands not yet delivered to Temporal."""
    outbox_lease_seconds: float = 30.0
    """How long a starter owns an outbox row it is delivering; another process takes it over after that."""
    outbox_max_backoff_seconds: float = 60.0
    """The longest wait between two delivery attempts of one row (exponential from 1 s, with jitter)."""

    submissions_per_hour: int = 10
    """New applications one citizen may submit per hour; repeats of an accepted one do not count."""
    forwarded_allow_ips: str = "127.0.0.1"
    """Proxies whose X-Forwarded-For is trusted for the client's address (uvicorn's setting; `*` when only a
    proxy can reach the API). The rate limits count per client address, so behind a proxy set this."""
    rate_limit_signin: str = "30/minute"
    """Sign-ins one client address may start (and finish) per window, in the `limits` notation; counted in the
    projection database, so the limit holds across every API process and replica (core/rate_limit.py)."""
    rate_limit_verify: str = "60/minute"
    """Licence checks (the public /verify page and its API) one client address may make per window."""
    material_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    """The largest material (a photo, a scan) an applicant may upload, in bytes; checked before any parsing."""
    simulated: bool = False
    """Cases this API accepts are marked simulated (`onething simulate` sets it for its own API; an operator
    never needs to): the leaders' figures and the board's totals leave them out unless asked (docs/figures.md)."""
    max_body_bytes: int = Field(default=32 * 1024 * 1024, ge=64 * 1024)
    """The largest request body the API reads (413 beyond): room for a form with a few materials in base64."""

    callback_max_bytes: int = Field(default=64 * 1024, ge=1024)
    """The largest department callback body taken; a larger one is refused (413) before its signature is
    computed, while it is still arriving. A result is a few hundred bytes."""
    callback_failure_limit: str = "20/minute"
    """Callbacks with a bad signature one department path may receive from one address (`limits` notation,
    e.g. 20/minute); more are answered 429 with Retry-After before their body is read."""

    secret_key: str = DEV_SECRET
    """Signs bearer tokens (and, outside production, derives the demo stubs' callback keys)."""
    codec_key: str = DEV_CODEC_KEY
    """Base64 AES-256 key of the payload codec: Temporal history holds only ciphertext."""
    callback_keys_key: str = DEV_CALLBACK_KEYS_KEY
    """Fernet key (`Fernet.generate_key()`) sealing the departments' callback keys in the database."""

    licence_reminder_days: list[Annotated[int, Field(ge=1, le=366)]] = Field(
        default=[90, 30], min_length=1, max_length=5
    )
    """Days before a licence's last valid day on which its holder is reminded (JSON list, e.g. [90, 30]);
    the daily reminder schedule takes them when a worker starts."""

    # Citizen notices (SMS and e-mail, docs/operations.md#citizen-notices). `record` keeps what would have
    # been sent in the outgoing_messages table; `gateway` sends e-mail over SMTP and SMS to an HTTP gateway.
    message_transport: Literal["record", "gateway"] = "record"
    message_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    """The longest one send may take (connect and answer) before it fails and the activity retries it."""
    message_poll_seconds: float = Field(default=0.5, gt=0)
    """How often each worker's sender looks for queued SMS and e-mail (activities/message_sender.py)."""
    message_lease_seconds: float = Field(default=60.0, gt=0)
    """How long a sender owns a queued send; another worker's sender takes it over after that."""
    message_send_attempts: int = Field(default=12, ge=1)
    """Sends of one queued SMS or e-mail before it is logged and dropped (a notice never fails its case)."""
    message_max_backoff_seconds: float = Field(default=300.0, gt=0)
    """The longest wait between two attempts of one queued send (exponential from 1 s, with jitter)."""
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_starttls: bool = False
    """Upgrade the connection with STARTTLS before logging in (the relay's certificate is verified)."""
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_sender: str = "noreply@onething.invalid"
    smtp_recipient_domain: str = "notify.onething.invalid"
    """E-mail goes to <account id>@this domain: the government mail relay resolves the account to the
    citizen's address, so no address is kept or logged here."""
    sms_url: str = ""
    """The SMS gateway's send endpoint (POST JSON); required with message_transport=gateway."""
    sms_token: str = ""
    """Bearer token for the SMS gateway."""

    sql_trace: Path | None = None
    """A diagnostic, off by default: each process appends a line per SQL statement it sends (verb, table, the
    calling code; no parameters) to this file. benchmarks/sql_statements.py sets it; it slows every statement."""

    session_minutes: int = 120
    """How long a browser session lasts after signing in; then the person signs in again."""
    ended_sessions_seconds: float = Field(default=5.0, ge=0, le=300)
    """How long an API process trusts what it last read of an account's ended sessions (signing out, `onething
    sessions end`): the longest an ended session still works on another process. 0: a query per request."""

    # Sign-in through OpenID Connect (docs/identity.md). An empty issuer means the demo identity provider
    # that the API itself serves under /demo-idp, in development only.
    oidc_issuer: str = ""
    """The identity provider's issuer URL; its /.well-known/openid-configuration is read from there."""
    oidc_client_id: str = "onething"
    oidc_client_secret: str = DEV_OIDC_CLIENT_SECRET
    oidc_redirect_url: str = ""
    """Our callback as registered at the provider; empty means {api_url}/auth/callback."""
    oidc_scopes: str = "openid"
    oidc_api_audience: str = ""
    """The `aud` a provider's bearer token must carry to call the API; empty means the client id."""
    oidc_claim_subject: str = "sub"
    oidc_claim_level: str = "real_name_level"
    oidc_claim_role: str = "role"
    oidc_claim_department: str = "department"
    oidc_role_map: dict[str, str] = {}
    """Provider role values to ours, e.g. {"gov_staff": "staff"}; values not listed must be ours already."""
    oidc_min_citizen_level: int = 2
    """The lowest real-name level (实名等级) a citizen may act with; below it sign-in is refused."""
    oidc_leeway_seconds: int = 60
    """Clock skew allowed between the provider and us when checking exp / iat."""

    @property
    def embedded_idp(self) -> bool:
        """True when the API serves the demo identity provider itself (no issuer configured)."""
        return not self.oidc_issuer

    @property
    def issuer_url(self) -> str:
        return (self.oidc_issuer or f"{self.api_url}{DEMO_IDP_PATH}").rstrip("/")

    @property
    def redirect_url(self) -> str:
        return self.oidc_redirect_url or f"{self.api_url}{CALLBACK_PATH}"

    @property
    def api_audience(self) -> str:
        return self.oidc_api_audience or self.oidc_client_id

    @property
    def effective_log_format(self) -> Literal["json", "text"]:
        if self.log_format:
            return self.log_format
        return "json" if self.environment == "production" else "text"

    @property
    def api_url(self) -> str:
        return f"http://{self.api_host}:{self.api_port}"

    @property
    def departments_url(self) -> str:
        return f"http://{self.departments_host}:{self.departments_port}"

    @property
    def projection_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'onething.db'}"

    @property
    def calendar_folder(self) -> Path:
        return self.calendar_dir or self.data_dir / "calendar"

    @property
    def exchange_dir(self) -> Path:
        return self.departments_exchange_dir or self.data_dir / "exchange"

    @property
    def departments_db_url(self) -> str:
        return self.departments_database_url or f"sqlite:///{self.data_dir / 'departments.db'}"

    @field_validator("callback_failure_limit")
    @classmethod
    def _a_limit_limits_can_read(cls, value: str) -> str:
        try:
            parse(value)
        except ValueError:
            raise ValueError("write it as COUNT/PERIOD, e.g. 20/minute or 100/hour") from None
        return value

    @model_validator(mode="after")
    def _a_gateway_needs_an_sms_endpoint(self) -> Settings:
        if self.message_transport == "gateway" and not self.sms_url.startswith(("https://", "http://")):
            raise ValueError(
                "ONETHING_SMS_URL: set the SMS gateway's send URL to use ONETHING_MESSAGE_TRANSPORT=gateway"
            )
        return self

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> Settings:
        if self.environment == "production":
            if self.secret_key == DEV_SECRET:
                raise ValueError("ONETHING_SECRET_KEY: set a secret of your own for production")
            if self.codec_key == DEV_CODEC_KEY:
                raise ValueError("ONETHING_CODEC_KEY: set a base64 AES-256 key of your own for production")
            if self.callback_keys_key == DEV_CALLBACK_KEYS_KEY:
                raise ValueError("ONETHING_CALLBACK_KEYS_KEY: set a Fernet key of your own (Fernet.generate_key())")
            self._refuse_demo_sign_in()
        return self

    def _refuse_demo_sign_in(self) -> None:
        # Production signs people in only through the government identity service, over HTTPS.
        if not self.oidc_issuer.startswith("https://"):
            raise ValueError("ONETHING_OIDC_ISSUER: set the government identity service's https issuer URL")
        if self.oidc_client_secret == DEV_OIDC_CLIENT_SECRET:
            raise ValueError("ONETHING_OIDC_CLIENT_SECRET: set the client secret the identity service issued")
        if not self.oidc_redirect_url.startswith("https://"):
            raise ValueError("ONETHING_OIDC_REDIRECT_URL: set our https callback URL as registered (…/auth/callback)")


@lru_cache
def get_settings() -> Settings:
    return Settings()
