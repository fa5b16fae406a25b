"""Redash's models, extracted to stand alone (a corpus set for schemactl's tests).

Source: https://github.com/getredash/redash
Commit: ca79fe988d81cdac9675b412f3dfcab107bc1fbc
Paths: redash/models/{__init__,base,mixins,types,users,organizations,changes}.py
Licence: BSD-2-Clause (Copyright (c) 2013-2020, Arik Fraimovich)

Databases: PostgreSQL only. Redash's models use ``JSONB``, ``ARRAY``, ``TSVECTOR`` and
``DOUBLE PRECISION`` from ``sqlalchemy.dialects.postgresql`` and Redash supports no other
database.

What it exercises: a ``Column`` made ``nullable=False`` by default (``functools.partial``),
mixin columns, ``JSONB`` with a string server default, arrays of strings and integers, a
``TSVECTOR`` column, unnamed foreign keys (two from one table to ``users``), named unique
indexes, an unnamed unique constraint, a named composite unique constraint, column names
differing from attribute names (``query``, ``encrypted_options``, ``groups``).

Edits (every one):
1. ``db = RedashSQLAlchemy(...)`` (Flask-SQLAlchemy) became a plain ``DeclarativeBase``;
   ``db.X`` became ``sqlalchemy.X``. ``make_searchable(...)`` from sqlalchemy-searchable,
   which adds the search trigger, its function and index through DDL event listeners,
   is not reproduced (those are not table definitions of the models).
2. ``primary_key(name)`` / ``key_type(name)`` read Redash's dynamic settings, whose default
   is ``(db.Integer, {})``: they became ``Column(Integer, primary_key=True)`` and
   ``Integer``.
3. Custom types replaced by the type they store: ``EncryptedConfiguration``
   (sqlalchemy-utils ``EncryptedType``, ``impl = LargeBinary``) -> ``LargeBinary``;
   ``JSONText`` (``impl = db.Text``) -> ``Text``; ``EmailType`` (``impl = Unicode(255)``)
   -> ``Unicode(255)``; ``TSVectorType(...)`` -> ``postgresql.TSVECTOR``;
   ``MutableDict.as_mutable(JSONB)`` / ``MutableList.as_mutable(...)`` -> the inner type.
4. Relationships, ``generic_relationship``, ``json_cast_property``/``hybrid_property``
   attributes, methods, event listeners, ``generic_repr`` decorators, class constants,
   ``query_class``, ``__mapper_args__`` (``version_id_col``), and ``{"extend_existing":
   True}`` in ``__table_args__`` dropped: none changes the schema.
5. Python-side ``default=`` values kept where they are literals; callables from Redash
   (``generate_token``, ``generate_slug``) and ``Group.permissions``'s
   ``default=DEFAULT_PERMISSIONS`` (a class constant) dropped: client-side only.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Unicode,
    UniqueConstraint,
    func,
)
from sqlalchemy import Column as _Column
from sqlalchemy.dialects.postgresql import ARRAY, DOUBLE_PRECISION, JSONB, TSVECTOR
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


metadata = Base.metadata
Column = functools.partial(_Column, nullable=False)


def primary_key() -> _Column[int]:
    return Column(Integer, primary_key=True)


class TimestampMixin:
    updated_at = Column(DateTime(True), default=func.now(), nullable=False)
    created_at = Column(DateTime(True), default=func.now(), nullable=False)


class GFKBase:
    object_type = Column(String(255))
    object_id = Column(Integer)


class Organization(TimestampMixin, Base):
    __tablename__ = "organizations"
    id = primary_key()
    name = Column(String(255))
    slug = Column(String(255), unique=True)
    settings = Column(JSONB, default={})


class User(TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (Index("users_org_id_email", "org_id", "email", unique=True),)
    id = primary_key()
    org_id = Column(Integer, ForeignKey("organizations.id"))
    name = Column(String(320))
    email = Column(Unicode(255))
    password_hash = Column(String(128), nullable=True)
    group_ids: _Column[Any] = Column("groups", ARRAY(Integer), nullable=True)
    api_key = Column(String(40), unique=True)
    disabled_at = Column(DateTime(True), default=None, nullable=True)
    details = Column(JSONB, nullable=True, server_default="{}", default={})


class Group(Base):
    __tablename__ = "groups"
    id = primary_key()
    org_id = Column(Integer, ForeignKey("organizations.id"))
    type = Column(String(255), default="regular")
    name = Column(String(100))
    permissions: _Column[Any] = Column(ARRAY(String(255)))
    created_at = Column(DateTime(True), default=func.now())


class AccessPermission(GFKBase, Base):
    __tablename__ = "access_permissions"
    id = primary_key()
    access_type = Column(String(255))
    grantor_id = Column(Integer, ForeignKey("users.id"))
    grantee_id = Column(Integer, ForeignKey("users.id"))


class Change(GFKBase, Base):
    __tablename__ = "changes"
    id = primary_key()
    object_id = Column(Integer)
    object_version = Column(Integer, default=0)
    user_id = Column(Integer, ForeignKey("users.id"))
    change = Column(JSONB)
    created_at = Column(DateTime(True), default=func.now())


class DataSource(Base):
    __tablename__ = "data_sources"
    __table_args__ = (Index("data_sources_org_id_name", "org_id", "name"),)
    id = primary_key()
    org_id = Column(Integer, ForeignKey("organizations.id"))
    name = Column(String(255))
    type = Column(String(255))
    options = Column("encrypted_options", LargeBinary)
    queue_name = Column(String(255), default="queries")
    scheduled_queue_name = Column(String(255), default="scheduled_queries")
    created_at = Column(DateTime(True), default=func.now())


class DataSourceGroup(Base):
    __tablename__ = "data_source_groups"
    id = primary_key()
    data_source_id = Column(Integer, ForeignKey("data_sources.id"))
    group_id = Column(Integer, ForeignKey("groups.id"))
    view_only = Column(Boolean, default=False)


class QueryResult(Base):
    __tablename__ = "query_results"
    id = primary_key()
    org_id = Column(Integer, ForeignKey("organizations.id"))
    data_source_id = Column(Integer, ForeignKey("data_sources.id"))
    query_hash = Column(String(32), index=True)
    query_text = Column("query", Text)
    data = Column(Text, nullable=True)
    runtime = Column(DOUBLE_PRECISION)
    retrieved_at = Column(DateTime(True))


class Query(TimestampMixin, Base):
    __tablename__ = "queries"
    id = primary_key()
    version = Column(Integer, default=1)
    org_id = Column(Integer, ForeignKey("organizations.id"))
    data_source_id = Column(Integer, ForeignKey("data_sources.id"), nullable=True)
    latest_query_data_id = Column(Integer, ForeignKey("query_results.id"), nullable=True)
    name = Column(String(255))
    description = Column(String(4096), nullable=True)
    query_text = Column("query", Text)
    query_hash = Column(String(32))
    api_key = Column(String(40))
    user_id = Column(Integer, ForeignKey("users.id"))
    last_modified_by_id = Column(Integer, ForeignKey("users.id"), nullable=True)
    is_archived = Column(Boolean, default=False, index=True)
    is_draft = Column(Boolean, default=True, index=True)
    schedule = Column(JSONB, nullable=True)
    schedule_failures = Column(Integer, default=0)
    options = Column(JSONB, default={})
    search_vector = Column(TSVECTOR, nullable=True)
    tags: _Column[Any] = Column("tags", ARRAY(Unicode), nullable=True)


class Favorite(TimestampMixin, Base):
    __tablename__ = "favorites"
    __table_args__ = (
        UniqueConstraint("object_type", "object_id", "user_id", name="unique_favorite"),
    )
    id = primary_key()
    org_id = Column(Integer, ForeignKey("organizations.id"))
    object_type = Column(Unicode(255))
    object_id = Column(Integer)
    user_id = Column(Integer, ForeignKey("users.id"))


class Alert(TimestampMixin, Base):
    __tablename__ = "alerts"
    id = primary_key()
    name = Column(String(255))
    query_id = Column(Integer, ForeignKey("queries.id"))
    user_id = Column(Integer, ForeignKey("users.id"))
    options = Column(JSONB, nullable=True)
    state = Column(String(255), default="unknown")
    last_triggered_at = Column(DateTime(True), nullable=True)
    rearm = Column(Integer, nullable=True)


class Dashboard(TimestampMixin, Base):
    __tablename__ = "dashboards"
    id = primary_key()
    version = Column(Integer)
    org_id = Column(Integer, ForeignKey("organizations.id"))
    slug = Column(String(140), index=True)
    name = Column(String(100))
    user_id = Column(Integer, ForeignKey("users.id"))
    layout = Column(JSONB, default=[])
    dashboard_filters_enabled = Column(Boolean, default=False)
    is_archived = Column(Boolean, default=False, index=True)
    is_draft = Column(Boolean, default=True, index=True)
    tags: _Column[Any] = Column("tags", ARRAY(Unicode), nullable=True)
    options = Column(JSONB, default={})


class Visualization(TimestampMixin, Base):
    __tablename__ = "visualizations"
    id = primary_key()
    type = Column(String(100))
    query_id = Column(Integer, ForeignKey("queries.id"))
    name = Column(String(255))
    description = Column(String(4096), nullable=True)
    options = Column(JSONB, nullable=True)


class Widget(TimestampMixin, Base):
    __tablename__ = "widgets"
    id = primary_key()
    visualization_id = Column(Integer, ForeignKey("visualizations.id"), nullable=True)
    text = Column(Text, nullable=True)
    width = Column(Integer)
    options = Column(JSONB, default={})
    dashboard_id = Column(Integer, ForeignKey("dashboards.id"), index=True)


class Event(Base):
    __tablename__ = "events"
    id = primary_key()
    org_id = Column(Integer, ForeignKey("organizations.id"))
    user_id = Column(Integer, ForeignKey("users.id"), nullable=True)
    action = Column(String(255))
    object_type = Column(String(255))
    object_id = Column(String(255), nullable=True)
    additional_properties = Column(JSONB, nullable=True, default={})
    created_at = Column(DateTime(True), default=func.now())


class ApiKey(TimestampMixin, GFKBase, Base):
    __tablename__ = "api_keys"
    __table_args__ = (Index("api_keys_object_type_object_id", "object_type", "object_id"),)
    id = primary_key()
    org_id = Column(Integer, ForeignKey("organizations.id"))
    api_key = Column(String(255), index=True)
    active = Column(Boolean, default=True)
    object_id = Column(Integer)
    created_by_id = Column(Integer, ForeignKey("users.id"), nullable=True)


class NotificationDestination(Base):
    __tablename__ = "notification_destinations"
    __table_args__ = (
        Index("notification_destinations_org_id_name", "org_id", "name", unique=True),
    )
    id = primary_key()
    org_id = Column(Integer, ForeignKey("organizations.id"))
    user_id = Column(Integer, ForeignKey("users.id"))
    name = Column(String(255))
    type = Column(String(255))
    options = Column("encrypted_options", LargeBinary)
    created_at = Column(DateTime(True), default=func.now())


class AlertSubscription(TimestampMixin, Base):
    __tablename__ = "alert_subscriptions"
    __table_args__ = (
        Index(
            "alert_subscriptions_destination_id_alert_id", "destination_id", "alert_id", unique=True
        ),
    )
    id = primary_key()
    user_id = Column(Integer, ForeignKey("users.id"))
    destination_id = Column(Integer, ForeignKey("notification_destinations.id"), nullable=True)
    alert_id = Column(Integer, ForeignKey("alerts.id"))


class QuerySnippet(TimestampMixin, Base):
    __tablename__ = "query_snippets"
    id = primary_key()
    org_id = Column(Integer, ForeignKey("organizations.id"))
    trigger = Column(String(255), unique=True)
    description = Column(Text)
    user_id = Column(Integer, ForeignKey("users.id"))
    snippet = Column(Text)
