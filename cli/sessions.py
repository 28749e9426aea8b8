"""`onething sessions end ACCOUNT`: an operator ends every session of an account at once (docs/identity.md)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated

import typer

from core.calendar import TZ
from core.settings import get_settings

sessions_app = typer.Typer(help="Signed-in sessions: end an account's before they expire.", no_args_is_help=True)


@sessions_app.command("end")
def end_command(
    account: Annotated[str, typer.Argument(help="The account id (a token's `sub`: never a name or an ID number)")],
) -> None:
    """End every session the account holds now, on every device (a staff member who left, a lost phone, a
    session seen where it should not be). Its next request is refused; signing in again starts a new one.
    Every API process refuses it within a few seconds (services/ended_sessions.py)."""
    from cli.db import require_current_schema
    from core.database import create_sql_engine
    from core.identity import MAX_SUBJECT
    from services.ended_sessions import EndedSessions

    if not account or len(account) > MAX_SUBJECT or not account.isprintable():
        raise typer.BadParameter(f"an account id is 1 to {MAX_SUBJECT} printable characters")
    settings = get_settings()
    require_current_schema(settings)
    engine = create_sql_engine(settings.projection_url)
    moment = time.time()  # this host's clock: the API hosts compare their sessions' `iat` with it (docs/identity.md)
    try:
        EndedSessions(engine).end(account, at=moment)
    finally:
        engine.dispose()
    at = datetime.fromtimestamp(moment, TZ).isoformat(timespec="milliseconds")
    typer.echo(f"sessions: every session of {account} issued until {at} (this host's clock) is ended")
