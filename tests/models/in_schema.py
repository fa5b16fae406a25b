"""Tables in a schema of their own (``audit``), one pointing at a table in the default one,
with an enum type in that schema."""

from __future__ import annotations

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = ({"schema": "audit"},)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(Enum("new", "done", name="event_status", schema="audit"))
