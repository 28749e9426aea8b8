"""The department registry: how each department's own system is reached (受办分离, seed 004 §5).

The catalogue says *what* a department handles and in which integration mode; the registry says *where and
how* its system is connected: base URL, outbound credentials, timeouts, retry cap, rate limit, and per item
the names the department's system gives the submission's fields. It is a YAML file beside the catalogue
(docs/departments.md says why a file and not tables), validated like the catalogue: every mistake with
`file:line` and the fix. Pure data: the gateways (activities/gateways/) act on it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from core.settings import Settings
from one_things.loader import _duplicate_keys, _Loader, _schema_errors, display_path, node_line
from one_things.problems import CatalogError, DefinitionError
from one_things.schema import Code, IntegrationMode, Names, OneThing, Strict
from one_things.yaml_errors import explain

REGISTRY_FILE = Path(__file__).parent / "departments.yaml"
HTTP_MODES = frozenset({IntegrationMode.SYNC_REST, IntegrationMode.ASYNC_CALLBACK, IntegrationMode.BATCH})


class BearerAuth(Strict):
    """A bearer token the department issued us, read from the environment or a file (never the registry)."""

    kind: Literal["bearer"]
    token_env: str | None = Field(default=None, description="Environment variable holding the token")
    token_file: Path | None = Field(default=None, description="File holding the token (e.g. a mounted secret)")

    @model_validator(mode="after")
    def _one_source(self) -> BearerAuth:
        if (self.token_env is None) == (self.token_file is None):
            raise ValueError("give exactly one of token_env or token_file")
        return self

    def token(self) -> str:
        """The token now (read on each use, so a rotated secret file is picked up without a restart)."""
        if self.token_env is not None:
            value = os.environ.get(self.token_env, "")
            if not value:
                raise LookupError(f"environment variable {self.token_env} is not set")
            return value.strip()
        assert self.token_file is not None
        return self.token_file.read_text(encoding="utf-8").strip()


class MutualTls(Strict):
    """A client certificate the department trusts; the files are paths, never the keys themselves."""

    kind: Literal["mtls"]
    cert_file: Path = Field(description="PEM client certificate")
    key_file: Path = Field(description="PEM private key of the certificate")
    ca_file: Path | None = Field(default=None, description="PEM CA bundle the department's server is checked against")


Auth = Annotated[BearerAuth | MutualTls, Field(discriminator="kind")]


class Timeouts(Strict):
    connect_seconds: float = Field(default=5.0, gt=0, le=60)
    call_seconds: float = Field(default=30.0, gt=0, le=300, description="Whole call, answer included")


class Retry(Strict):
    max_retry_after_seconds: float = Field(
        default=300.0, gt=0, le=86400, description="A department's Retry-After is honoured up to this delay"
    )


class RateLimit(Strict):
    calls: int = Field(gt=0, description="At most this many calls ...")
    per_seconds: float = Field(default=1.0, gt=0, description="... in this many seconds, per worker process")


class ItemConnection(Strict):
    """Per item: the department's names for the submission's fields, and how materials travel."""

    fields: dict[str, Code] = Field(
        default_factory=dict,
        description="Department field name -> the item's input (catalogue `inputs`); empty sends the inputs as named",
    )
    materials: Literal["reference", "inline"] = Field(
        default="reference", description="reference: a signed, expiring download URL; inline: base64 in the body"
    )


class BatchExchange(Strict):
    """The data pipeline's exchange folder (a share both sides mount, or an SFTP drop synchronised to it)."""

    exchange_dir: str = Field(
        description="Folder of the hand-over: outbox/ (our batches) and inbox/ (its results); "
        "`{exchange_dir}` is the demo stack's (ONETHING_DEPARTMENTS_EXCHANGE_DIR), `{code}` the department"
    )
    flush_seconds: float = Field(
        default=0, ge=0, le=86400, description="At most one batch file per this many seconds (0: as work arrives)"
    )


class StandardModule(Strict):
    auto_clerk: bool = Field(
        default=False, description="Demo stack only: the stubs' auto-clerk decides this department's queue"
    )


class DepartmentConnection(Strict):
    """One department's system, as far as the platform needs to reach it."""

    name: Names
    modes: list[IntegrationMode] = Field(min_length=1, description="The integration modes its items may use")
    base_url: str | None = Field(
        default=None,
        description="Where the contract's paths start (…/submissions); `{stubs_url}` is the demo stubs' address",
    )
    auth: Auth | None = None
    timeouts: Timeouts = Field(default_factory=Timeouts)
    retry: Retry = Field(default_factory=Retry)
    rate_limit: RateLimit | None = None
    batch: BatchExchange | None = None
    batch_results: Literal["pull", "callback"] = Field(
        default="pull",
        description="How its batch items' results come back: pull (the platform takes them from its result files, "
        "or GETs them) or callback (it posts each one, signed, to the callback_url its batch lines carry)",
    )
    standard_module: StandardModule = Field(default_factory=StandardModule)
    items: dict[Code, ItemConnection] = Field(default_factory=dict)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://", "{stubs_url}")):
            raise ValueError("base_url must start with https:// (or http:// for a local test system)")
        return value.rstrip("/") if value is not None else None

    @model_validator(mode="after")
    def _url_for_http_modes(self) -> DepartmentConnection:
        if self.base_url is None and HTTP_MODES.intersection(self.modes):
            raise ValueError("base_url is required: sync_rest, async_callback and batch reach the department's system")
        return self

    @model_validator(mode="after")
    def _callback_for_batch(self) -> DepartmentConnection:
        if self.batch_results == "callback" and IntegrationMode.BATCH not in self.modes:
            raise ValueError("batch_results concerns batch items: add batch to modes, or leave batch_results out")
        if self.batch_results == "callback" and self.batch is not None and self.batch.flush_seconds > 0:
            # A batch leaves when a pull flushes it, or at once from its submission: with no pull, a submission
            # held back by flush_seconds would wait for the next submission, however long that takes.
            raise ValueError(
                "batch_results: callback hands each submission over at once: set batch.flush_seconds to 0, "
                "or pull the results (batch_results: pull)"
            )
        return self

    def item(self, code: str) -> ItemConnection:
        return self.items.get(code) or ItemConnection()


class Registry(Strict):
    """Every department the platform reaches, by code."""

    version: int = Field(ge=1, description="Raise on every change, so a running worker's log says which it read")
    departments: dict[Code, DepartmentConnection] = Field(default_factory=dict)
    unlisted: DepartmentConnection | None = Field(
        default=None,
        description="Demo registries only: the connection of a department not listed (base_url may use {code})",
    )

    def connection(self, code: str) -> DepartmentConnection:
        """The department's connection; LookupError when it is not registered."""
        found = self.departments.get(code)
        if found is not None:
            return found
        if self.unlisted is None:
            raise LookupError(f"department {code} is not in the department registry")
        url = self.unlisted.base_url.replace("{code}", code) if self.unlisted.base_url else None
        batch = self.unlisted.batch
        if batch is not None:
            batch = batch.model_copy(update={"exchange_dir": batch.exchange_dir.replace("{code}", code)})
        return self.unlisted.model_copy(update={"base_url": url, "batch": batch})

    def with_stubs_url(self, stubs_url: str, exchange_dir: str = "") -> Registry:
        """`{stubs_url}` in base URLs replaced by the demo stubs' address (ONETHING_DEPARTMENTS_HOST/PORT), and
        `{exchange_dir}` in exchange folders by the demo stack's (ONETHING_DEPARTMENTS_EXCHANGE_DIR); `{code}`
        by a listed department's code (an unlisted one's is filled when it is looked up)."""

        def fill(connection: DepartmentConnection, code: str = "{code}") -> DepartmentConnection:
            url = connection.base_url
            if url is not None:
                url = url.replace("{stubs_url}", stubs_url.rstrip("/")).replace("{code}", code)
            batch = connection.batch
            if batch is not None:
                folder = batch.exchange_dir.replace("{exchange_dir}", exchange_dir.rstrip("/")).replace("{code}", code)
                batch = batch.model_copy(update={"exchange_dir": folder})
            return connection.model_copy(update={"base_url": url, "batch": batch})

        return self.model_copy(
            update={
                "departments": {code: fill(c, code) for code, c in self.departments.items()},
                "unlisted": fill(self.unlisted) if self.unlisted else None,
            }
        )


def registry_file(settings: Settings) -> Path:
    return settings.department_registry or REGISTRY_FILE


def load_registry(settings: Settings) -> Registry:
    """The registry of these settings, its demo placeholders filled; raises CatalogError with every mistake."""
    registry, errors = parse_registry(registry_file(settings))
    if registry is None:
        raise CatalogError(errors)
    return registry.with_stubs_url(settings.departments_url, str(settings.exchange_dir))


def parse_registry(path: Path) -> tuple[Registry | None, list[DefinitionError]]:
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fix = "check ONETHING_DEPARTMENT_REGISTRY and save the file as UTF-8"
        return None, [DefinitionError(shown, None, "", f"cannot read the registry ({type(exc).__name__})", fix)]
    return parse_registry_text(text, shown)


def parse_registry_text(text: str, path: str = "<registry>") -> tuple[Registry | None, list[DefinitionError]]:
    try:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        problem = explain(exc, text)
        return None, [DefinitionError(path, problem.line, "", problem.message, problem.fix)]
    if root is None:
        return None, [DefinitionError(path, 1, "", "the registry is empty", "start from one_things/departments.yaml")]
    errors = _duplicate_keys(path, root, data)
    try:
        registry = Registry.model_validate(data)
    except ValidationError as exc:
        found = [_about_registry(error) for error in errors + _schema_errors(path, data, root, exc.errors())]
        return None, sorted(found, key=lambda e: e.line or 0)
    return (None if errors else registry), errors


def _about_registry(error: DefinitionError) -> DefinitionError:
    """The catalogue's hints point at its own doc; the registry's format is explained in docs/departments.md."""
    return replace(error, fix=error.fix.replace("docs/catalog.md", "docs/departments.md"))


def check_against_catalog(
    registry: Registry, things: list[OneThing], *, path: str, root_text: str | None = None
) -> list[DefinitionError]:
    """What the catalogue needs that the registry does not give: a missing department, a mode it does not
    support, an item mapping naming an input the item does not have."""
    locate = _locator(root_text)
    problems: list[DefinitionError] = []
    for thing in things:
        for item in thing.items:
            where = f"{thing.code}.{item.code}"
            try:
                connection = registry.connection(item.department)
            except LookupError:
                fix = f"add `{item.department}:` under departments (copy an entry of the same mode)"
                problems.append(
                    DefinitionError(path, locate(("departments",)), where, f"department {item.department} missing", fix)
                )
                continue
            loc: tuple[str | int, ...] = ("departments", item.department)
            if item.mode not in connection.modes:
                fix = f"add {item.mode.value} to its modes, or change the item's mode in the catalogue"
                message = f"mode {item.mode.value} is not among the department's modes"
                problems.append(DefinitionError(path, locate((*loc, "modes")), where, message, fix))
            mapping = connection.items.get(item.code)
            for field, source in (mapping.fields if mapping else {}).items():
                if source not in item.inputs:
                    fix = f"use one of the item's inputs: {', '.join(sorted(item.inputs)) or '(none)'}"
                    message = f"field {field} maps {source}, which is not an input of the item"
                    line = locate((*loc, "items", item.code, "fields", field))
                    problems.append(DefinitionError(path, line, where, message, fix))
    return problems


def _locator(text: str | None) -> Callable[[tuple[str | int, ...]], int | None]:
    """loc -> line in the registry text (None when the text is not at hand)."""
    root = yaml.compose(text, Loader=_Loader) if text is not None else None

    def locate(loc: tuple[str | int, ...]) -> int | None:
        return node_line(root, loc) if root is not None else None

    return locate


def auto_clerk_departments(registry: Registry, things: list[OneThing]) -> list[str]:
    """Departments with standard-module items whose queue the demo stubs' auto-clerk works (demo stack)."""
    found: set[str] = set()
    for thing in things:
        for item in thing.items:
            if item.mode is not IntegrationMode.STANDARD_MODULE:
                continue
            try:
                if registry.connection(item.department).standard_module.auto_clerk:
                    found.add(item.department)
            except LookupError:
                continue  # `onething departments check` reports it
    return sorted(found)
