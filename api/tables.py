"""Every table, imported once so they are all on ``SQLModel.metadata`` (migrations, tests)."""

import api.accounts
import api.agronomy.tables
import api.currency
import api.irrigation.tables
import api.logistics.tables
import api.models
import api.scheduling.tables

__all__ = ["MODULES"]

MODULES = (
    api.models,
    api.accounts,
    api.scheduling.tables,
    api.currency,
    api.irrigation.tables,
    api.agronomy.tables,
    api.logistics.tables,
)
"""The modules that define tables."""
