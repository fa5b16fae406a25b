"""Fedora Bodhi's models, extracted to stand alone (a corpus set for schemactl's tests).

Source: https://github.com/fedora-infra/bodhi
Commit: 2afdbd08d8294024d773b4a944bbc1711ce5a4db
Path: bodhi-server/bodhi/server/models.py
Licence: GPL-2.0-or-later (Copyright 2011-2019 Red Hat, Inc. and others)

Databases: PostgreSQL and SQLite. Bodhi runs on PostgreSQL, where its ten enums are native
types (two of them shared by two tables each); on SQLite they are VARCHARs. Not MariaDB:
``testcases.name`` and ``packages.name`` are ``TEXT`` columns under unique constraints,
which MariaDB can only index with a key length the models do not give.

What it exercises: native PostgreSQL enums (``ck_content_type`` used by ``packages`` and
``builds``, ``ck_update_request`` by ``updates`` and ``composes``), a composite primary key
made of a foreign key and an enum column, unnamed unique constraints, a named one, unnamed
foreign keys (one to a non-primary unique column, ``bugs.bug_id``), ``index=True``,
association tables without primary keys, single-table inheritance.

Edits (every one):
1. ``DeclEnum`` classes and their ``DeclEnumType`` (a ``SchemaType``/``TypeDecorator``
   whose ``impl`` is ``Enum(*values, name="ck_<snake_case class name>")``) became plain
   ``sqlalchemy.Enum`` objects with the same values, in the same order, and the same names;
   the Python-side symbol conversion and ``sort_key_function`` are dropped.
2. ``TZDateTime`` (a ``TypeDecorator`` over ``DateTime`` converting to naive UTC) became
   ``DateTime``, its ``impl``.
3. The ``BodhiBase`` mixin is inlined: it contributes ``id = Column(Integer,
   primary_key=True)``; ``Compose`` sets ``id = None`` to drop it, so it has no ``id``.
4. Single-table inheritance subclasses (``RpmPackage``, ``RpmBuild``, ...) removed; the one
   column a subclass adds, ``RpmBuild.epoch``, is written on ``Build`` (the same
   ``builds`` table); ``polymorphic_on`` mapper arguments dropped.
5. ``Base = declarative_base(cls=BodhiBase)`` became a ``DeclarativeBase`` subclass (the
   same mapping; mypy cannot use the function's result as a base class).
6. Relationships, synonyms, methods, Python-side ``default=`` callables that need Bodhi's
   enum symbols (kept as the enum's string value), ``__exclude_columns__``/``__get_by__``
   and ``query`` dropped: none of them touches the schema.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    Table,
    Unicode,
    UnicodeText,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


metadata = Base.metadata
_now = partial(datetime.now, tz=UTC)

ContentType = Enum("base", "rpm", "module", "container", "flatpak", name="ck_content_type")
UpdateStatus = Enum("pending", "testing", "stable", "unpushed", "obsolete", name="ck_update_status")
TestGatingStatus = Enum(
    "waiting",
    "ignored",
    "queued",
    "running",
    "passed",
    "failed",
    "greenwave_failed",
    name="ck_test_gating_status",
)
UpdateType = Enum(
    "bugfix", "security", "newpackage", "enhancement", "unspecified", name="ck_update_type"
)
UpdateRequest = Enum("testing", "obsolete", "unpush", "revoke", "stable", name="ck_update_request")
UpdateSeverity = Enum("unspecified", "urgent", "high", "medium", "low", name="ck_update_severity")
UpdateSuggestion = Enum("unspecified", "reboot", "logout", name="ck_update_suggestion")
ReleaseState = Enum("disabled", "pending", "frozen", "current", "archived", name="ck_release_state")
ComposeState = Enum(
    "requested",
    "pending",
    "initializing",
    "updateinfo",
    "punging",
    "syncing_repo",
    "notifying",
    "success",
    "failed",
    "signing_repo",
    "cleaning",
    name="ck_compose_state",
)
PackageManager = Enum("unspecified", "dnf", "yum", name="ck_package_manager")

update_bug_table = Table(
    "update_bug_table",
    metadata,
    Column("update_id", Integer, ForeignKey("updates.id")),
    Column("bug_id", Integer, ForeignKey("bugs.id")),
)

build_testcase_table = Table(
    "build_testcase_table",
    metadata,
    Column("build_id", Integer, ForeignKey("builds.id")),
    Column("testcase_id", Integer, ForeignKey("testcases.id")),
)


class Release(Base):
    __tablename__ = "releases"
    id = Column(Integer, primary_key=True)
    name = Column(Unicode(10), unique=True, nullable=False)
    long_name = Column(Unicode(25), unique=True, nullable=False)
    version = Column(Unicode(5), nullable=False)
    id_prefix = Column(Unicode(25), nullable=False)
    branch = Column(Unicode(10), nullable=False)
    dist_tag = Column(Unicode(20), nullable=False)
    stable_tag = Column(UnicodeText, nullable=False)
    testing_tag = Column(UnicodeText, nullable=False)
    candidate_tag = Column(UnicodeText, nullable=False)
    pending_signing_tag = Column(UnicodeText, nullable=False)
    pending_testing_tag = Column(UnicodeText, nullable=False)
    pending_stable_tag = Column(UnicodeText, nullable=False)
    override_tag = Column(UnicodeText, nullable=False)
    mail_template = Column(UnicodeText, default="fedora_errata_template", nullable=False)
    state: Column[str] = Column(ReleaseState, default="disabled", nullable=False)
    composed_by_bodhi = Column(Boolean, default=True)
    create_automatic_updates = Column(Boolean, default=False)
    package_manager: Column[str] = Column(PackageManager, default="unspecified")
    testing_repository = Column(UnicodeText, nullable=True)
    released_on = Column(Date, nullable=True)
    eol = Column(Date, nullable=True)


class TestCase(Base):
    __tablename__ = "testcases"
    id = Column(Integer, primary_key=True)
    name = Column(UnicodeText, nullable=False, unique=True)


class Package(Base):
    __tablename__ = "packages"
    id = Column(Integer, primary_key=True)
    name = Column(UnicodeText, nullable=False)
    type: Column[str] = Column(ContentType, nullable=False)
    __table_args__ = (UniqueConstraint("name", "type", name="packages_name_and_type_key"),)


class Build(Base):
    __tablename__ = "builds"
    id = Column(Integer, primary_key=True)
    nvr = Column(Unicode(100), unique=True, nullable=False)
    signed = Column(Boolean, default=False, nullable=False)
    package_id = Column(Integer, ForeignKey("packages.id"), nullable=False)
    release_id = Column(Integer, ForeignKey("releases.id"))
    update_id = Column(Integer, ForeignKey("updates.id"), index=True)
    type: Column[str] = Column(ContentType, nullable=False)
    epoch = Column(Integer, default=0)  # from RpmBuild (edit 4)


class Update(Base):
    __tablename__ = "updates"
    id = Column(Integer, primary_key=True)
    autokarma = Column(Boolean, default=True, nullable=False)
    autotime = Column(Boolean, default=True, nullable=False)
    stable_karma = Column(Integer, nullable=False)
    stable_days = Column(Integer, nullable=False, default=0)
    unstable_karma = Column(Integer, nullable=False)
    require_bugs = Column(Boolean, default=False)
    require_testcases = Column(Boolean, default=False)
    display_name = Column(UnicodeText, nullable=False, default="")
    notes = Column(UnicodeText, nullable=False)
    type: Column[str] = Column(UpdateType, nullable=False)
    status: Column[str] = Column(UpdateStatus, default="pending", nullable=False, index=True)
    request: Column[str] = Column(UpdateRequest, index=True)
    severity: Column[str] = Column(UpdateSeverity, default="unspecified")
    suggest: Column[str] = Column(UpdateSuggestion, default="unspecified")
    locked = Column(Boolean, default=False)
    pushed = Column(Boolean, default=False)
    critpath = Column(Boolean, default=False)
    critpath_groups = Column(UnicodeText, nullable=True)
    close_bugs = Column(Boolean, default=True)
    date_submitted = Column(DateTime, default=_now, index=True)
    date_modified = Column(DateTime)
    date_approved = Column(DateTime)
    date_testing = Column(DateTime)
    date_stable = Column(DateTime)
    alias = Column(Unicode(64), unique=True, nullable=False)
    release_id = Column(Integer, ForeignKey("releases.id"), nullable=False)
    user_id = Column(Integer, ForeignKey("users.id"))
    test_gating_status: Column[str] = Column(TestGatingStatus, default=None, nullable=True)
    from_tag = Column(UnicodeText, nullable=True)


class Compose(Base):
    __tablename__ = "composes"
    release_id = Column(Integer, ForeignKey("releases.id"), primary_key=True, nullable=False)
    request: Column[str] = Column(UpdateRequest, primary_key=True, nullable=False)
    checkpoints = Column(UnicodeText, nullable=False, default="{}")
    error_message = Column(UnicodeText)
    date_created = Column(DateTime, nullable=False, default=_now)
    state_date = Column(DateTime, nullable=False, default=_now)
    state: Column[str] = Column(ComposeState, nullable=False, default="requested")


class BugFeedback(Base):
    __tablename__ = "comment_bug_assoc"
    id = Column(Integer, primary_key=True)
    feedback = Column(Integer, default=0)
    comment_id = Column(Integer, ForeignKey("comments.id"))
    bug_id = Column(Integer, ForeignKey("bugs.bug_id"))


class TestCaseFeedback(Base):
    __tablename__ = "comment_testcase_assoc"
    id = Column(Integer, primary_key=True)
    feedback = Column(Integer, default=0)
    comment_id = Column(Integer, ForeignKey("comments.id"))
    testcase_id = Column(Integer, ForeignKey("testcases.id"))


class Comment(Base):
    __tablename__ = "comments"
    id = Column(Integer, primary_key=True)
    karma = Column(Integer, default=0)
    karma_critpath = Column(Integer, default=0)
    text = Column(UnicodeText, nullable=False)
    timestamp = Column(DateTime, default=_now)
    update_id = Column(Integer, ForeignKey("updates.id"), nullable=False, index=True)
    user_id = Column(Integer, ForeignKey("users.id"), nullable=False)


class Bug(Base):
    __tablename__ = "bugs"
    id = Column(Integer, primary_key=True)
    bug_id = Column(Integer, unique=True)
    title = Column(Unicode(255))
    security = Column(Boolean, default=False)
    parent = Column(Boolean, default=False)


user_group_table = Table(
    "user_group_table",
    Base.metadata,
    Column("user_id", Integer, ForeignKey("users.id")),
    Column("group_id", Integer, ForeignKey("groups.id")),
)


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    name = Column(Unicode(64), unique=True, nullable=False)
    email = Column(UnicodeText)


class Group(Base):
    __tablename__ = "groups"
    id = Column(Integer, primary_key=True)
    name = Column(Unicode(64), unique=True, nullable=False)


class BuildrootOverride(Base):
    __tablename__ = "buildroot_overrides"
    id = Column(Integer, primary_key=True)
    notes = Column(UnicodeText, nullable=False)
    submission_date = Column(DateTime, default=_now, nullable=False)
    expiration_date = Column(DateTime, nullable=False)
    expired_date = Column(DateTime)
    build_id = Column(Integer, ForeignKey("builds.id"), nullable=False)
    submitter_id = Column(Integer, ForeignKey("users.id"), nullable=False)
