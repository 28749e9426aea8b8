"""A second department system, written from docs/department-contract.md and the OpenAPI document alone.

It shares no code with the stubs in `departments/`: its own models, its own SQLite ledger (stdlib
sqlite3), its own signing. If the platform only works with the stubs, this is where it shows.
`faults` turn it into a deliberately broken department for the conformance kit's own tests.
"""
