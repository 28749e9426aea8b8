"""代办 on the pages: whom a signed-in agent may act for (the "acting for" switch), and who submitted a case.

The account acted for comes from the page (`?for=` or the form's `on_behalf_of`), so it is checked against
the agent's active authority before anything of theirs (their register data, their cases) is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from api.pages.rendering import Page
from one_things.catalog import Catalog
from one_things.schema import OneThing
from persistence.tables import CaseRecord
from services.authority import authorisations_of, check_filing, display_name


@dataclass(frozen=True)
class ActingChoice:
    subject: str
    name: str
    things: list[tuple[str, str]]
    """(code, name in the page's language) of the one-things the agent may apply for on their behalf."""


def acting_choices(session: Session, page: Page, catalog: Catalog, now: datetime) -> list[ActingChoice]:
    """The principals of the agent's active authorisations (for one-things or single cases), by name."""
    assert page.principal is not None
    things: dict[str, list[str]] = {}
    for received in authorisations_of(session, subject=page.principal.subject, now=now).received:
        if received.status == "active":
            things.setdefault(received.principal, []).extend(received.things)
    return [
        ActingChoice(subject, display_name(session, subject) or subject, _named(page, catalog, codes))
        for subject, codes in things.items()
    ]


def _named(page: Page, catalog: Catalog, codes: list[str]) -> list[tuple[str, str]]:
    named = []
    for code in dict.fromkeys(codes):
        try:
            named.append((code, page.name(catalog.get(code).name)))
        except KeyError:  # a one-thing withdrawn from the catalogue: nothing to apply for
            continue
    return named


def applicant(session: Session, page: Page, thing: OneThing, acting_for: str | None, now: datetime) -> str:
    """Whose form this is: the signed-in citizen's, or (checked now) the account they act for."""
    assert page.principal is not None
    if not acting_for or acting_for == page.principal.subject:
        return page.principal.subject
    check_filing(session, agent=page.principal.subject, principal=acting_for, thing=thing, now=now)
    return acting_for


def submitted_by(session: Session, case: CaseRecord) -> str | None:
    """The agent who filed the owner's case, by the register's name (or the account id); None if the owner did."""
    if not case.acted_by or case.acted_by == case.owner:
        return None
    return display_name(session, case.acted_by) or case.acted_by
