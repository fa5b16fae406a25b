"""Blog schema, version 2: ``blog_v1`` with one of each common change.

Changes from v1 (v1 -> v2):

* new table ``categories``, with an FK to the existing ``users`` table;
* dropped table ``legacy_notes``;
* added column ``posts.summary``;
* dropped column ``users.nickname``;
* widened ``posts.title``: VARCHAR(100) -> VARCHAR(255);
* ``users.locale``: nullable -> NOT NULL with server default ``'en'``;
* new index ``ix_users_created_at`` on an existing column;
* new nullable column ``posts.category_id`` with a new FK to ``categories`` (and its index).
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class PostStatus(enum.Enum):
    draft = "draft"
    published = "published"
    archived = "archived"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    locale: Mapped[str] = mapped_column(String(10), server_default="en")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        CheckConstraint("score >= 0", name="score_nonneg"),
        Index(None, "user_id", "created_at"),  # ix_posts_user_id_created_at
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(255))
    summary: Mapped[str | None] = mapped_column(String(500))
    body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[PostStatus] = mapped_column(
        Enum(PostStatus, name="post_status"), server_default="draft"
    )
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    score: Mapped[Decimal] = mapped_column(Numeric(10, 2), server_default=text("0"))
    view_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)


post_tags = Table(
    "post_tags",
    Base.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


metadata = Base.metadata
