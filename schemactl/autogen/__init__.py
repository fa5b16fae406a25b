"""Autogenerate: diff the live database against the models, render both directions as SQL.

``compare`` reads (``compare``), orders and normalises Alembic's operations (``shape``),
describes them (``changes``) and renders them as plain SQL (``render``); what differs per
database is one ``AutogenHooks`` class each (``hooks``).

Importing this package is cheap: Alembic and SQLAlchemy are imported when ``compare`` runs,
so ``schemactl --help`` stays light.
"""

from __future__ import annotations

from .compare import Diff, compare

__all__ = ["Diff", "compare"]
