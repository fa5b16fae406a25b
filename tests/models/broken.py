"""A models module whose import fails: schemactl must report the error, not a traceback."""

from __future__ import annotations

raise RuntimeError("models exploded")
