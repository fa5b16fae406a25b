"""A models module that imports fine but defines no ``MetaData`` at all."""

from __future__ import annotations

GREETING = "there is no metadata in here"


def answer() -> int:
    return 42
