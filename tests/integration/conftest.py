"""The hub fixtures (tests/hub/conftest.py: a hub on SQLite and on PostgreSQL), for tests that
run a box against one."""

from tests.hub.conftest import hub, hub_app, hub_settings, hub_storage, pg_urls, storage

__all__ = ["hub", "hub_app", "hub_settings", "hub_storage", "pg_urls", "storage"]
