"""`onething departments conformance URL --department CODE`: the contract's checks against a live system."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cli.conformance import Outcome

KEY_ENV = "ONETHING_CONFORMANCE_CALLBACK_KEY"
KEY_ID_ENV = "ONETHING_CONFORMANCE_KEY_ID"
MODES = ("sync_rest", "async_callback", "batch")
VERDICT = {True: "[green]PASS[/green]", False: "[red]FAIL[/red]", None: "[yellow]SKIP[/yellow]"}


def conformance_command(
    url: Annotated[str, typer.Argument(help="The department system's base URL (the contract's paths follow it)")],
    department: Annotated[str, typer.Option(help="The department's code, as in the catalogue and registry")],
    mode: Annotated[
        list[str] | None, typer.Option(help="An integration mode the system offers (repeat; default all three)")
    ] = None,
    callback_key: Annotated[
        str | None,
        typer.Option(help=f"The department's callback key, 64 hex characters (or ${KEY_ENV})", show_default=False),
    ] = None,
    key_id: Annotated[str | None, typer.Option(help=f"The id the callbacks must name (or ${KEY_ID_ENV})")] = None,
    callback_host: Annotated[
        str, typer.Option(help="Address the kit's callback receiver listens on; the system must reach it")
    ] = "127.0.0.1",
    callback_port: Annotated[int, typer.Option(help="Port of the callback receiver (0: any free port)")] = 0,
    callback_url: Annotated[
        str | None,
        typer.Option(help="The receiver's address as the system reaches it, if not http://HOST:PORT (NAT, proxy)"),
    ] = None,
    exchange: Annotated[
        Path | None,
        typer.Option(
            help="Your exchange folder for batch files (outbox/, inbox/): the kit writes batches signed with "
            "--callback-key/--key-id and reads your result files; without it batch-files is skipped",
            file_okay=False,
        ),
    ] = None,
    result_wait: Annotated[
        float, typer.Option(help="Seconds a decision may take to arrive by callback or batch pull")
    ] = 60.0,
    batch_results: Annotated[
        Literal["pull", "callback"],
        typer.Option(help="How the registry takes your batch results: callback adds the batch-callback check"),
    ] = "pull",
) -> None:
    """Run the department contract's checks against URL; exit 1 naming every check that failed."""
    from cli.conformance import Options, run_conformance  # the HTTP machinery only when this command runs

    modes = tuple(mode or MODES)
    unknown = sorted(set(modes) - set(MODES))
    if unknown:
        raise typer.BadParameter(f"unknown mode {', '.join(unknown)}; the contract's modes are {', '.join(MODES)}")
    options = Options(
        base_url=url,
        department=department,
        modes=modes,
        result_wait=result_wait,
        callback_key=_key(callback_key or os.environ.get(KEY_ENV)),
        key_id=key_id or os.environ.get(KEY_ID_ENV) or None,
        callback_host=callback_host,
        callback_port=callback_port,
        callback_url=callback_url,
        exchange=exchange,
        batch_results=batch_results,
    )
    progress_out = Console(stderr=True)

    def progress(position: int, total: int, outcome: Outcome | None, name: str) -> None:
        if outcome is None:
            progress_out.print(f"[{position:>2}/{total}] {name} …", highlight=False)
        else:
            progress_out.print(f"[{position:>2}/{total}] {name} {VERDICT[outcome.passed]} ({outcome.seconds:.1f} s)")

    def note(text: str) -> None:
        progress_out.print(f"      {text}", highlight=False)

    outcomes = asyncio.run(run_conformance(options, progress, note))
    Console(width=max(120, Console().width)).print(_table(url, department, outcomes))
    failed = [outcome.name for outcome in outcomes if outcome.passed is False]
    if failed:
        typer.echo(f"FAILED: {', '.join(failed)}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{department} at {url} conforms to the department contract (modes: {', '.join(modes)}).")


def _key(text: str | None) -> bytes | None:
    if not text:
        return None
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise typer.BadParameter("the callback key is 64 hex characters, as the platform issued it") from None
    if len(key) != 32:
        raise typer.BadParameter("the callback key is 64 hex characters (32 bytes)")
    return key


def _table(url: str, department: str, outcomes: list[Outcome]) -> Table:
    table = Table(title=f"department contract v1 — {department} at {url}", title_justify="left")
    table.add_column("check", no_wrap=True)
    table.add_column("result", no_wrap=True)
    table.add_column("s", justify="right")
    table.add_column("detail")
    for outcome in outcomes:
        table.add_row(outcome.name, VERDICT[outcome.passed], f"{outcome.seconds:.1f}", outcome.detail)
    return table
