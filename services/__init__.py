"""The business rules: one module per concern, called alike by the JSON API and the pages.

Services raise the domain errors of `services.errors`; `api/problems.py` turns them into problem+json in one
place. Nothing here knows HTTP, and nothing below `api/` imports `api`.
"""
