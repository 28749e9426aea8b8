"""Who may call what: the expected allow table of the authorisation matrix, one rule per route, as data.

A rule names the callers (tests/routers/matrix_callers.py) who may get past the route's checks on objects
of one owner. Public routes are declared public explicitly. A route missing here fails the matrix test
until someone writes its rule, so a new route is never unchecked by default.
"""

from __future__ import annotations

from core.auth import Role

# Caller names, each of one role; matrix_callers.py builds them and adds one caller for any other role.
OWNER, AGENT, REVOKED_AGENT, OTHER_CITIZEN, ENTERPRISE = "owner", "agent", "revoked_agent", "other", "enterprise"
SCOPE_AGENT = "agent_other_scope"
"""Authorised by the owner, but for another one-thing than the case's."""
STAFF_OF_ITEM, STAFF_ELSEWHERE = "staff_of_item", "staff_elsewhere"
SUPERVISOR, LEADER = "supervisor", "leader"

PUBLIC = "public"
"""Anyone, signed in or not: its answer does not depend on the caller."""
NOBODY: frozenset[str] = frozenset()
"""No person: signed by a department's key (callbacks), never by a session."""

CITIZENS = frozenset({OWNER, AGENT, REVOKED_AGENT, SCOPE_AGENT, OTHER_CITIZEN, ENTERPRISE})
"""Any citizen on their own data (their list, their form): the answer is theirs, never the owner's."""
SIGNED_IN_SELF = "signed_in"
"""Anyone signed in, on their own session (signing out)."""
CASE = frozenset({OWNER, AGENT})
"""The owner's case: the owner and an agent with active authority for it."""
OWN = frozenset({OWNER})
"""The owner alone: their licences, messages, ratings, authorisations granted."""
STAFF = frozenset({STAFF_OF_ITEM, STAFF_ELSEWHERE})
ITEM_STAFF = frozenset({STAFF_OF_ITEM})
"""Staff of the item's (or the rectification's) department."""
OVERSIGHT = frozenset({SUPERVISOR, LEADER})
SUPERVISORS = frozenset({SUPERVISOR})
CLERK = "role:clerk"
"""A counter clerk (一窗受理): matrix_callers.py adds one caller per role it does not name itself."""
COUNTER = frozenset({CLERK})
"""The counter: window clerks only, and a visit or receipt only to the clerk who opened it."""

Rule = frozenset[str] | str
RULES: dict[tuple[str, str], Rule] = {
    # --- the counter (一窗受理): the clerk's own visits and the receipts of cases filed in them ---------------
    ("GET", "/api/v1/counter/consent"): COUNTER,
    ("POST", "/api/v1/counter/verifications"): COUNTER,
    ("GET", "/api/v1/counter/verifications/{visit}"): COUNTER,
    ("POST", "/api/v1/counter/verifications/{visit}/consent"): COUNTER,
    ("POST", "/api/v1/counter/applications"): COUNTER,
    ("GET", "/api/v1/counter/applications/{case_no}/receipt"): COUNTER,
    ("GET", "/counter"): COUNTER,
    ("POST", "/counter/verify"): COUNTER,
    ("GET", "/counter/visits/{visit}"): COUNTER,
    ("POST", "/counter/visits/{visit}/consent"): COUNTER,
    ("GET", "/counter/visits/{visit}/things/{code}"): COUNTER,
    ("POST", "/counter/visits/{visit}/things/{code}"): COUNTER,
    ("GET", "/counter/receipts/{case_no}"): COUNTER,
    # --- programs, documentation, sign-in, static -------------------------------------------------------
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/contracts/department/v1.yaml"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/static/{path}"): PUBLIC,
    ("GET", "/signin"): PUBLIC,
    ("GET", "/signin/official"): PUBLIC,
    ("GET", "/auth/callback"): PUBLIC,
    ("POST", "/signout"): SIGNED_IN_SELF,
    ("GET", "/demo-idp/.well-known/openid-configuration"): PUBLIC,
    ("GET", "/demo-idp/jwks"): PUBLIC,
    ("GET", "/demo-idp/authorize"): PUBLIC,
    ("POST", "/demo-idp/authorize"): PUBLIC,
    ("POST", "/demo-idp/token"): PUBLIC,
    ("GET", "/demo-idp/logout"): PUBLIC,
    # --- public pages: the catalogue, preferences, verifying a licence ---------------------------------
    ("GET", "/"): PUBLIC,
    ("GET", "/figures"): PUBLIC,  # how the figures are defined: nothing about anyone
    ("GET", "/things/{code}"): PUBLIC,
    ("GET", "/prefs/{name}/{value}"): PUBLIC,
    ("GET", "/verify/{code}"): PUBLIC,
    ("GET", "/api/v1/things/{code}"): PUBLIC,
    ("POST", "/api/v1/things/{code}/plan"): PUBLIC,
    ("GET", "/api/v1/verify/{verification_code}"): PUBLIC,
    # The catalogue listing asks for a sign-in (any role) but shows nothing personal.
    ("GET", "/api/v1/things"): CITIZENS | STAFF | OVERSIGHT | COUNTER,
    # --- citizens' pages ---------------------------------------------------------------------------------
    ("GET", "/things/{code}/apply"): CITIZENS,
    ("POST", "/things/{code}/apply"): CITIZENS,
    ("GET", "/cases"): CITIZENS,
    ("GET", "/cases/{case_no}"): CASE,
    ("GET", "/cases/{case_no}/live"): CASE,
    ("POST", "/cases/{case_no}/supplement"): CASE,
    ("POST", "/cases/{case_no}/withdraw"): CASE,
    ("POST", "/cases/{case_no}/rating"): OWN,
    ("POST", "/cases/{case_no}/rectifications/{department}"): OWN,
    ("GET", "/wallet"): CITIZENS,
    ("GET", "/inbox"): CITIZENS,
    ("POST", "/inbox/{message_id}/read"): OWN,
    ("GET", "/data-access"): CITIZENS,
    # --- citizens' API -----------------------------------------------------------------------------------
    ("POST", "/api/v1/applications"): CITIZENS,
    ("GET", "/api/v1/applications"): CITIZENS,
    ("GET", "/api/v1/applications/{case_no}"): CASE,
    ("POST", "/api/v1/applications/{case_no}/supplements"): CASE,
    ("POST", "/api/v1/applications/{case_no}/withdraw"): CASE,
    ("GET", "/api/v1/applications/{case_no}/rating"): OWN,
    ("POST", "/api/v1/applications/{case_no}/rating"): OWN,
    ("GET", "/api/v1/applications/{case_no}/rectifications"): OWN,
    ("POST", "/api/v1/applications/{case_no}/rectifications/{department}/{verdict}"): OWN,
    ("POST", "/api/v1/authorisations"): CITIZENS,
    ("GET", "/api/v1/authorisations"): CITIZENS,
    ("POST", "/api/v1/authorisations/{authorisation_id}/revoke"): OWN,
    ("GET", "/api/v1/things/{code}/form"): CITIZENS,
    ("GET", "/api/v1/me/data-access"): CITIZENS,
    ("GET", "/api/v1/licences"): CITIZENS,
    ("GET", "/api/v1/licences/{licence_id}"): OWN,
    ("GET", "/api/v1/licences/{licence_id}/qr.svg"): OWN,
    ("GET", "/api/v1/messages"): CITIZENS,
    ("POST", "/api/v1/messages/{message_id}/read"): OWN,
    # --- department systems --------------------------------------------------------------------------------
    ("POST", "/api/v1/callbacks/{department}"): NOBODY,
    # A department system downloads a material with the signed URL its submission carried, never a session.
    ("GET", "/api/v1/department-materials/{case_no}/{material}"): NOBODY,
    # --- department staff ----------------------------------------------------------------------------------
    ("GET", "/staff"): STAFF,
    ("GET", "/staff/items/{case_no}/{item_code}"): ITEM_STAFF,
    ("GET", "/staff/items/{case_no}/{item_code}/materials/{material}"): ITEM_STAFF,
    ("POST", "/staff/items/{case_no}/{item_code}/claim"): ITEM_STAFF,
    ("POST", "/staff/items/{case_no}/{item_code}/decision"): ITEM_STAFF,
    ("GET", "/api/v1/staff/queue"): STAFF,
    ("GET", "/api/v1/staff/items/{case_no}/{item_code}"): ITEM_STAFF,
    ("POST", "/api/v1/staff/items/{case_no}/{item_code}/claim"): ITEM_STAFF,
    ("POST", "/api/v1/staff/items/{case_no}/{item_code}/decision"): ITEM_STAFF,
    ("GET", "/api/v1/staff/rectifications"): STAFF,
    ("POST", "/api/v1/staff/rectifications/{rectification_id}/reply"): ITEM_STAFF,
    # --- supervision and statistics ------------------------------------------------------------------------
    ("GET", "/supervision"): SUPERVISORS,
    ("GET", "/supervision/live"): SUPERVISORS,
    ("GET", "/supervision/items"): SUPERVISORS,
    ("GET", "/supervision/cases/{case_no}"): SUPERVISORS,
    ("POST", "/supervision/cases/{case_no}/items/{item_code}/escalate"): SUPERVISORS,
    ("GET", "/api/v1/supervision/board"): OVERSIGHT,
    ("GET", "/api/v1/supervision/lights"): OVERSIGHT,
    ("GET", "/api/v1/supervision/performance"): OVERSIGHT,
    ("GET", "/api/v1/supervision/items"): OVERSIGHT,
    ("GET", "/api/v1/supervision/cases/at-risk"): OVERSIGHT,
    ("GET", "/api/v1/supervision/cases/{case_no}"): OVERSIGHT,
    ("POST", "/api/v1/supervision/cases/{case_no}/items/{item_code}/escalations"): SUPERVISORS,
    ("GET", "/api/v1/supervision/rectifications"): OVERSIGHT,
    ("GET", "/api/v1/supervision/data-access"): SUPERVISORS,
    ("GET", "/api/v1/supervision/departments/health"): OVERSIGHT,
    ("GET", "/stats"): OVERSIGHT,
    ("GET", "/api/v1/stats/things"): OVERSIGHT,
    ("GET", "/api/v1/stats/things.csv"): OVERSIGHT,
    ("GET", "/api/v1/stats/volumes"): OVERSIGHT,
    ("GET", "/api/v1/stats/reviews"): OVERSIGHT,
}

ROLE_OF_CALLER = {
    OWNER: Role.CITIZEN,
    AGENT: Role.CITIZEN,
    REVOKED_AGENT: Role.CITIZEN,
    SCOPE_AGENT: Role.CITIZEN,
    OTHER_CITIZEN: Role.CITIZEN,
    ENTERPRISE: Role.CITIZEN,
    STAFF_OF_ITEM: Role.STAFF,
    STAFF_ELSEWHERE: Role.STAFF,
    SUPERVISOR: Role.SUPERVISOR,
    LEADER: Role.LEADER,
}

ACTING_FOR = frozenset({OWNER, AGENT})
"""The owner (acting for themself) and their agent: anyone else is refused the owner's data."""
VARIANTS: dict[tuple[str, str], Rule] = {
    # The same routes with the account acted for in the query: a caller-chosen id, checked every time.
    # An agent for another one-thing of the owner's may list them; the list holds only the cases their
    # authority covers, so never this case (the matrix checks the case number is not in the answer).
    ("GET", "/cases?for={owner}"): ACTING_FOR | {SCOPE_AGENT},
    ("GET", "/api/v1/applications?on_behalf_of={owner}"): ACTING_FOR | {SCOPE_AGENT},
    ("GET", "/things/{code}/apply?for={owner}&{answers}"): ACTING_FOR,
}
