"""Stub department back-ends: the other side of 受办分离, with their own app, database and contract."""
