"""Registers the analytics tables on the shared metadata before the schema fixture runs."""

import cityloop.analytics.store  # noqa: F401
