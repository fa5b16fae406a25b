"""Prefect server's ORM models, extracted to stand alone (a corpus set for schemactl's tests).

Source: https://github.com/PrefectHQ/prefect
Commit: ce79dd3d6cfa2b7337265498210dbc4d25bcdc98
Paths: src/prefect/server/database/orm_models.py, with the types of
src/prefect/server/utilities/database.py and the enums of
src/prefect/server/schemas/{states,statuses}.py
Licence: Apache-2.0

Databases: PostgreSQL and SQLite, the two Prefect's server supports (its types choose
``JSONB``/``UUID``/``TIMESTAMP WITH TIME ZONE`` on PostgreSQL and ``JSON``/``CHAR(36)``/
``DATETIME`` on SQLite; nothing is written for MySQL).

What it exercises: a ``MetaData`` naming convention for every kind (``ix``, ``uq``, ``ck``,
``fk``, ``pk``), 2.0 ``Mapped[...]`` annotations with a ``type_annotation_map``, a mixin
base with a server-generated UUID primary key and ``now()`` server defaults, native
PostgreSQL enums (``state_type`` shared by four tables), string server defaults on JSON,
boolean, enum and interval columns, ``use_alter`` foreign-key cycles (``flow_run`` <->
``flow_run_state`` <-> ``artifact``, ``work_pool`` <-> ``work_queue``), descending,
expression (``coalesce``), partial (``postgresql_where``/``sqlite_where``), covering
(``postgresql_include``) and GIN indexes, unique indexes beside unique constraints, a check
constraint, VARCHAR without length.

Edits (every one):
1. Prefect's types replaced by the SQLAlchemy types they load per dialect:
   ``UUID`` -> ``postgresql.UUID()`` with a ``CHAR(36)`` variant for SQLite;
   ``Timestamp`` -> ``TIMESTAMP(timezone=True)`` with a ``sqlite.DATETIME()`` variant;
   ``JSON`` -> ``postgresql.JSONB(none_as_null=True)`` with a
   ``sqlite.JSON(none_as_null=True)`` variant; ``Pydantic(...)`` -> that ``JSON``
   (its ``impl``); the ``type_annotation_map`` maps ``uuid.UUID`` and ``datetime.datetime``
   (Prefect's ``DateTime``) to them.
2. ``GenerateUUID`` is reproduced here (a ``FunctionElement`` compiled to
   ``(GEN_RANDOM_UUID())`` on PostgreSQL and Prefect's random-hex expression on SQLite).
   Prefect's process-wide ``@compiles(functions.now, "sqlite")`` hook (``now()`` as an
   ``strftime`` on SQLite) is not reproduced, so ``now()`` is ``CURRENT_TIMESTAMP`` there.
3. Enums from ``prefect.server.schemas`` (``AutoEnum``s, ``str`` enums whose values are
   their names) are defined here as ``StrEnum``s with the same members;
   ``server_default=WorkQueueStatus.NOT_READY`` and the like are written as the member's
   string value; ``DEFAULT_BLOCK_SCHEMA_VERSION`` is
   inlined as ``"non-versioned"``.
4. The ``trgm_ix_*`` GIN indexes on ``name`` columns (``Index(..., postgresql_using="gin")
   .ddl_if(dialect="postgresql")`` on ``flow``, ``flow_run``, ``task_run``,
   ``deployment``, ``block_type``, ``block_document``, ``work_queue``) are dropped:
   VARCHAR has no default GIN operator class, so ``create_all`` fails on them
   ("data type character varying has no default operator class for access method gin");
   Prefect creates them in its migrations with ``gin_trgm_ops`` after
   ``CREATE EXTENSION pg_trgm``.
5. Relationships, synonyms, ``hybrid_property``s, methods, ``__mapper_args__``
   (``eager_defaults``), ``onupdate``/``server_onupdate``, client-side ``default=``
   callables, the ``ORM*`` aliases and the ``*ORMConfiguration`` classes dropped: none of
   them touches the schema; ``WorkQueue.__table_args__``'s ``ClassVar[Any]`` annotation is
   written ``Any`` like the other classes'. The ``declared_attr`` ``__table_args__`` are
   kept as written.
6. ``Optional[X]`` annotations written ``X | None``.
7. ``Artifact.key`` is declared with ``index=True`` and also indexed by
   ``Index("ix_artifact__key", cls.key)``; the naming convention gives the first that same
   name, so ``create_all`` emits ``CREATE INDEX ix_artifact__key`` twice and fails
   ("relation ... already exists"); Prefect never runs ``create_all`` on PostgreSQL (it
   migrates). ``index=True`` is dropped: the schema keeps its one index.
"""

from __future__ import annotations

import datetime
import enum
import uuid
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, registry
from sqlalchemy.sql import functions
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import coalesce

UUID = postgresql.UUID().with_variant(sa.CHAR(36), "sqlite")
Timestamp = sa.TIMESTAMP(timezone=True).with_variant(sqlite.DATETIME(), "sqlite")  # type: ignore[no-untyped-call]
JSON = postgresql.JSONB(none_as_null=True).with_variant(sqlite.JSON(none_as_null=True), "sqlite")
sa_JSON = postgresql.JSON().with_variant(sa.JSON(), "sqlite")


class GenerateUUID(functions.FunctionElement[uuid.UUID]):
    """Platform-independent UUID default generator (compiled per dialect below)."""

    name = "uuid_default"
    inherit_cache = True


@compiles(GenerateUUID, "postgresql")
def _generate_uuid_postgresql(element: GenerateUUID, compiler: SQLCompiler, **kw: Any) -> str:
    return "(GEN_RANDOM_UUID())"


@compiles(GenerateUUID, "sqlite")
def _generate_uuid_sqlite(element: GenerateUUID, compiler: SQLCompiler, **kw: Any) -> str:
    return """
    (
        lower(hex(randomblob(4)))
        || '-'
        || lower(hex(randomblob(2)))
        || '-4'
        || substr(lower(hex(randomblob(2))),2)
        || '-'
        || substr('89ab',abs(random()) % 4 + 1, 1)
        || substr(lower(hex(randomblob(2))),2)
        || '-'
        || lower(hex(randomblob(6)))
    )
    """


class StateType(enum.StrEnum):
    SCHEDULED = "SCHEDULED"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    CRASHED = "CRASHED"
    PAUSED = "PAUSED"
    CANCELLING = "CANCELLING"


class WorkPoolStatus(enum.StrEnum):
    READY = "READY"
    NOT_READY = "NOT_READY"
    PAUSED = "PAUSED"


class WorkerStatus(enum.StrEnum):
    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"


class DeploymentStatus(enum.StrEnum):
    READY = "READY"
    NOT_READY = "NOT_READY"


class WorkQueueStatus(enum.StrEnum):
    READY = "READY"
    NOT_READY = "NOT_READY"
    PAUSED = "PAUSED"


class Base(DeclarativeBase):
    registry: ClassVar[registry] = registry(
        metadata=sa.MetaData(
            naming_convention={
                "ix": "ix_%(table_name)s__%(column_0_N_name)s",
                "uq": "uq_%(table_name)s__%(column_0_N_name)s",
                "ck": "ck_%(table_name)s__%(constraint_name)s",
                "fk": "fk_%(table_name)s__%(column_0_N_name)s__%(referred_table_name)s",
                "pk": "pk_%(table_name)s",
            }
        ),
        type_annotation_map={uuid.UUID: UUID, datetime.datetime: Timestamp},
    )

    @declared_attr.directive
    def __tablename__(cls) -> str:
        return "".join(
            ("_" + c.lower() if c.isupper() and i else c.lower())
            for i, c in enumerate(cls.__name__)
        )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=GenerateUUID())
    created: Mapped[datetime.datetime] = mapped_column(server_default=sa.func.now())
    updated: Mapped[datetime.datetime] = mapped_column(index=True, server_default=sa.func.now())


metadata = Base.metadata


class Flow(Base):
    name: Mapped[str]
    tags: Mapped[list[str]] = mapped_column(JSON, server_default="[]")
    labels: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__: Any = (
        sa.UniqueConstraint("name"),
        sa.Index("ix_flow__created", "created"),
    )


class FlowRunState(Base):
    flow_run_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("flow_run.id", ondelete="cascade"))
    type: Mapped[StateType] = mapped_column(sa.Enum(StateType, name="state_type"), index=True)
    timestamp: Mapped[datetime.datetime] = mapped_column(server_default=sa.func.now())
    name: Mapped[str] = mapped_column(index=True)
    message: Mapped[str | None]
    state_details: Mapped[dict[str, Any]] = mapped_column(JSON, server_default="{}")
    _data: Mapped[Any | None] = mapped_column(JSON, name="data")
    result_artifact_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("artifact.id", ondelete="SET NULL", use_alter=True), index=True
    )

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> Any:
        return (
            sa.Index(
                "uq_flow_run_state__flow_run_id_timestamp_desc",
                cls.flow_run_id,
                cls.timestamp.desc(),
                unique=True,
            ),
        )


class TaskRunState(Base):
    task_run_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("task_run.id", ondelete="cascade"))
    type: Mapped[StateType] = mapped_column(sa.Enum(StateType, name="state_type"), index=True)
    timestamp: Mapped[datetime.datetime] = mapped_column(server_default=sa.func.now())
    name: Mapped[str] = mapped_column(index=True)
    message: Mapped[str | None]
    state_details: Mapped[dict[str, Any]] = mapped_column(JSON, server_default="{}")
    _data: Mapped[Any | None] = mapped_column(JSON, name="data")
    result_artifact_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("artifact.id", ondelete="SET NULL", use_alter=True), index=True
    )

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> Any:
        return (
            sa.Index(
                "uq_task_run_state__task_run_id_timestamp_desc",
                cls.task_run_id,
                cls.timestamp.desc(),
                unique=True,
            ),
        )


class Artifact(Base):
    key: Mapped[str | None] = mapped_column()  # index=True dropped: edit 7
    task_run_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    flow_run_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    type: Mapped[str | None]
    data: Mapped[Any | None] = mapped_column(sa_JSON)
    description: Mapped[str | None]
    metadata_: Mapped[dict[str, str] | None] = mapped_column(sa_JSON)

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> Any:
        return (
            sa.Index("ix_artifact__key", cls.key),
            sa.Index(
                "ix_artifact__key_created_desc",
                cls.key,
                cls.created.desc(),
                postgresql_include=["id", "updated", "type", "task_run_id", "flow_run_id"],
            ),
        )


class ArtifactCollection(Base):
    key: Mapped[str]
    latest_id: Mapped[uuid.UUID]
    task_run_id: Mapped[uuid.UUID | None]
    flow_run_id: Mapped[uuid.UUID | None]
    type: Mapped[str | None]
    data: Mapped[Any | None] = mapped_column(sa_JSON)
    description: Mapped[str | None]
    metadata_: Mapped[dict[str, str] | None] = mapped_column(sa_JSON)

    __table_args__: Any = (
        sa.UniqueConstraint("key"),
        sa.Index("ix_artifact_collection__key_latest_id", "key", "latest_id"),
    )


class TaskRunStateCache(Base):
    cache_key: Mapped[str] = mapped_column()
    cache_expiration: Mapped[datetime.datetime | None]
    task_run_state_id: Mapped[uuid.UUID]

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> Any:
        return (
            sa.Index(
                "ix_task_run_state_cache__cache_key_created_desc",
                cls.cache_key,
                cls.created.desc(),
            ),
        )


class Run(Base):
    __abstract__ = True

    name: Mapped[str] = mapped_column(index=True)
    state_type: Mapped[StateType | None] = mapped_column(sa.Enum(StateType, name="state_type"))
    state_name: Mapped[str | None]
    state_timestamp: Mapped[datetime.datetime | None]
    run_count: Mapped[int] = mapped_column(server_default="0")
    expected_start_time: Mapped[datetime.datetime | None]
    next_scheduled_start_time: Mapped[datetime.datetime | None]
    start_time: Mapped[datetime.datetime | None]
    end_time: Mapped[datetime.datetime | None]
    total_run_time: Mapped[datetime.timedelta] = mapped_column(server_default="0")


class FlowRun(Run):
    flow_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("flow.id", ondelete="cascade"), index=True
    )
    deployment_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    work_queue_name: Mapped[str | None] = mapped_column(index=True)
    flow_version: Mapped[str | None] = mapped_column(index=True)
    deployment_version: Mapped[str | None] = mapped_column(index=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, server_default="{}")
    idempotency_key: Mapped[str | None] = mapped_column()
    context: Mapped[dict[str, Any]] = mapped_column(JSON, server_default="{}")
    empirical_policy: Mapped[dict[str, Any]] = mapped_column(JSON, server_default="{}")
    tags: Mapped[list[str]] = mapped_column(JSON, server_default="[]")
    labels: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    infrastructure_pid: Mapped[str | None]
    job_variables: Mapped[dict[str, Any] | None] = mapped_column(JSON, server_default="{}")
    infrastructure_document_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("block_document.id", ondelete="CASCADE"), index=True
    )
    parent_task_run_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("task_run.id", ondelete="SET NULL", use_alter=True), index=True
    )
    auto_scheduled: Mapped[bool] = mapped_column(server_default="0")
    state_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("flow_run_state.id", ondelete="SET NULL", use_alter=True), index=True
    )
    work_queue_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("work_queue.id", ondelete="SET NULL"), index=True
    )

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> Any:
        return (
            sa.Index(
                "uq_flow_run__flow_id_idempotency_key",
                cls.flow_id,
                cls.idempotency_key,
                unique=True,
            ),
            sa.Index(
                "ix_flow_run__coalesce_start_time_expected_start_time_desc",
                coalesce(cls.start_time, cls.expected_start_time).desc(),
            ),
            sa.Index(
                "ix_flow_run__coalesce_start_time_expected_start_time_asc",
                coalesce(cls.start_time, cls.expected_start_time).asc(),
            ),
            sa.Index("ix_flow_run__expected_start_time_desc", cls.expected_start_time.desc()),
            sa.Index(
                "ix_flow_run__next_scheduled_start_time_asc", cls.next_scheduled_start_time.asc()
            ),
            sa.Index("ix_flow_run__end_time_desc", cls.end_time.desc()),
            sa.Index("ix_flow_run__start_time", cls.start_time),
            sa.Index("ix_flow_run__state_type", cls.state_type),
            sa.Index("ix_flow_run__state_name", cls.state_name),
            sa.Index("ix_flow_run__state_timestamp", cls.state_timestamp),
            sa.Index(
                "ix_flow_run__scheduler_deployment_id_auto_scheduled_next_schedu",
                cls.deployment_id,
                cls.auto_scheduled,
                cls.next_scheduled_start_time,
                postgresql_where=cls.state_type == StateType.SCHEDULED,
                sqlite_where=cls.state_type == StateType.SCHEDULED,
            ),
        )


class TaskRun(Run):
    flow_run_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("flow_run.id", ondelete="cascade"), index=True
    )
    task_key: Mapped[str] = mapped_column()
    dynamic_key: Mapped[str] = mapped_column()
    cache_key: Mapped[str | None]
    cache_expiration: Mapped[datetime.datetime | None]
    task_version: Mapped[str | None]
    flow_run_run_count: Mapped[int] = mapped_column(server_default="0")
    empirical_policy: Mapped[dict[str, Any]] = mapped_column(JSON, server_default="{}")
    task_inputs: Mapped[dict[str, Any]] = mapped_column(JSON, server_default="{}")
    tags: Mapped[list[str]] = mapped_column(JSON, server_default="[]")
    labels: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    state_id: Mapped[uuid.UUID | None] = mapped_column(UUID, index=True)

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> Any:
        return (
            sa.Index(
                "uq_task_run__flow_run_id_task_key_dynamic_key",
                cls.flow_run_id,
                cls.task_key,
                cls.dynamic_key,
                unique=True,
            ),
            sa.Index("ix_task_run__expected_start_time_desc", cls.expected_start_time.desc()),
            sa.Index(
                "ix_task_run__next_scheduled_start_time_asc", cls.next_scheduled_start_time.asc()
            ),
            sa.Index("ix_task_run__end_time_desc", cls.end_time.desc()),
            sa.Index("ix_task_run__start_time", cls.start_time),
            sa.Index("ix_task_run__state_type", cls.state_type),
            sa.Index("ix_task_run__state_type_start_time", cls.state_type, cls.start_time),
            sa.Index("ix_task_run__state_name", cls.state_name),
            sa.Index("ix_task_run__state_timestamp", cls.state_timestamp),
        )


class DeploymentSchedule(Base):
    deployment_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("deployment.id", ondelete="CASCADE"), index=True
    )
    schedule: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column()
    max_scheduled_runs: Mapped[int | None]
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, server_default="{}", nullable=False)
    slug: Mapped[str | None] = mapped_column(sa.String, nullable=True)

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> Any:
        return (
            sa.Index(
                "ix_deployment_schedule__deployment_id__slug",
                cls.deployment_id,
                cls.slug,
                unique=True,
            ),
            sa.Index("ix_deployment_schedule__slug", cls.slug, unique=False),
        )


class Deployment(Base):
    name: Mapped[str]
    version: Mapped[str | None]
    description: Mapped[str | None] = mapped_column(sa.Text())
    work_queue_name: Mapped[str | None] = mapped_column(index=True)
    infra_overrides: Mapped[dict[str, Any]] = mapped_column(JSON, server_default="{}")
    path: Mapped[str | None]
    entrypoint: Mapped[str | None]
    last_polled: Mapped[datetime.datetime | None]
    status: Mapped[DeploymentStatus] = mapped_column(
        sa.Enum(DeploymentStatus, name="deployment_status"), server_default="NOT_READY"
    )
    flow_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("flow.id", ondelete="CASCADE"), index=True
    )
    work_queue_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("work_queue.id", ondelete="SET NULL"), index=True
    )
    paused: Mapped[bool] = mapped_column(server_default="0", index=True)
    _concurrency_limit: Mapped[int | None] = mapped_column(name="concurrency_limit")
    concurrency_limit_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("concurrency_limit_v2.id", ondelete="SET NULL"),
    )
    concurrency_options: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, server_default=None, nullable=True
    )
    tags: Mapped[list[str]] = mapped_column(JSON, server_default="[]")
    labels: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, server_default="{}")
    pull_steps: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    parameter_openapi_schema: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    enforce_parameter_schema: Mapped[bool] = mapped_column(server_default="0")
    created_by: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    updated_by: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    infrastructure_document_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("block_document.id", ondelete="CASCADE"), index=False
    )
    storage_document_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("block_document.id", ondelete="CASCADE"), index=False
    )

    __table_args__: Any = (
        sa.Index("uq_deployment__flow_id_name", "flow_id", "name", unique=True),
        sa.Index("ix_deployment__created", "created"),
    )


class Log(Base):
    name: Mapped[str]
    level: Mapped[int] = mapped_column(sa.SmallInteger, index=True)
    flow_run_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    task_run_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    message: Mapped[str] = mapped_column(sa.Text)
    timestamp: Mapped[datetime.datetime] = mapped_column(index=True)

    __table_args__: Any = (sa.Index("ix_log__flow_run_id_timestamp", "flow_run_id", "timestamp"),)


class ConcurrencyLimit(Base):
    tag: Mapped[str]
    concurrency_limit: Mapped[int]
    active_slots: Mapped[list[str]] = mapped_column(JSON, server_default="[]")

    __table_args__: Any = (sa.Index("uq_concurrency_limit__tag", "tag", unique=True),)


class ConcurrencyLimitV2(Base):
    active: Mapped[bool] = mapped_column()
    name: Mapped[str]
    limit: Mapped[int]
    active_slots: Mapped[int] = mapped_column()
    denied_slots: Mapped[int] = mapped_column()
    slot_decay_per_second: Mapped[float] = mapped_column()
    avg_slot_occupancy_seconds: Mapped[float] = mapped_column()

    __table_args__: Any = (sa.UniqueConstraint("name"),)


class BlockType(Base):
    name: Mapped[str]
    slug: Mapped[str]
    logo_url: Mapped[str | None]
    documentation_url: Mapped[str | None]
    description: Mapped[str | None]
    code_example: Mapped[str | None]
    is_protected: Mapped[bool] = mapped_column(server_default="0")

    __table_args__: Any = (sa.Index("uq_block_type__slug", "slug", unique=True),)


class BlockSchema(Base):
    checksum: Mapped[str]
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, server_default="{}")
    capabilities: Mapped[list[str]] = mapped_column(JSON, server_default="[]")
    version: Mapped[str] = mapped_column(server_default="non-versioned")
    block_type_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("block_type.id", ondelete="cascade"), index=True
    )

    __table_args__: Any = (
        sa.Index("uq_block_schema__checksum_version", "checksum", "version", unique=True),
        sa.Index("ix_block_schema__created", "created"),
        sa.Index("ix_block_schema__capabilities", "capabilities", postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
    )


class BlockSchemaReference(Base):
    name: Mapped[str]
    parent_block_schema_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("block_schema.id", ondelete="cascade")
    )
    reference_block_schema_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("block_schema.id", ondelete="cascade")
    )


class BlockDocument(Base):
    name: Mapped[str] = mapped_column(index=True)
    data: Mapped[Any] = mapped_column(JSON, server_default="{}")
    is_anonymous: Mapped[bool] = mapped_column(server_default="0", index=True)
    block_type_name: Mapped[str | None]
    block_type_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("block_type.id", ondelete="cascade")
    )
    block_schema_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("block_schema.id", ondelete="cascade")
    )

    __table_args__: Any = (
        sa.Index("uq_block__type_id_name", "block_type_id", "name", unique=True),
        sa.Index("ix_block_document__block_type_name__name", "block_type_name", "name"),
    )


class BlockDocumentReference(Base):
    name: Mapped[str]
    parent_block_document_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("block_document.id", ondelete="cascade"),
    )
    reference_block_document_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("block_document.id", ondelete="cascade"),
    )

    __table_args__: Any = (
        sa.CheckConstraint(
            "parent_block_document_id != reference_block_document_id",
            name="ck_block_document_reference__no_self_reference",
        ),
    )


class Configuration(Base):
    key: Mapped[str] = mapped_column(index=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__: Any = (sa.UniqueConstraint("key"),)


class SavedSearch(Base):
    name: Mapped[str]
    filters: Mapped[list[dict[str, Any]]] = mapped_column(JSON, server_default="[]")

    __table_args__: Any = (sa.UniqueConstraint("name"),)


class WorkQueue(Base):
    name: Mapped[str]
    filter: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(server_default="")
    is_paused: Mapped[bool] = mapped_column(server_default="0")
    concurrency_limit: Mapped[int | None]
    priority: Mapped[int]
    last_polled: Mapped[datetime.datetime | None]
    status: Mapped[WorkQueueStatus] = mapped_column(
        sa.Enum(WorkQueueStatus, name="work_queue_status"), server_default="NOT_READY"
    )
    work_pool_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("work_pool.id", ondelete="cascade"), index=True
    )

    __table_args__: Any = (
        sa.UniqueConstraint("work_pool_id", "name"),
        sa.Index("ix_work_queue__work_pool_id_priority", "work_pool_id", "priority"),
    )


class WorkPool(Base):
    name: Mapped[str]
    description: Mapped[str | None]
    type: Mapped[str] = mapped_column(index=True)
    base_job_template: Mapped[dict[str, Any]] = mapped_column(JSON, server_default="{}")
    is_paused: Mapped[bool] = mapped_column(server_default="0")
    default_queue_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID,
        sa.ForeignKey("work_queue.id", ondelete="RESTRICT", use_alter=True),
        nullable=True,
    )
    concurrency_limit: Mapped[int | None]
    status: Mapped[WorkPoolStatus] = mapped_column(
        sa.Enum(WorkPoolStatus, name="work_pool_status"), server_default="NOT_READY"
    )
    last_transitioned_status_at: Mapped[datetime.datetime | None]
    last_status_event_id: Mapped[uuid.UUID | None]
    storage_configuration: Mapped[dict[str, Any]] = mapped_column(
        JSON, server_default="{}", nullable=False
    )

    __table_args__: Any = (sa.UniqueConstraint("name"),)


class Worker(Base):
    work_pool_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("work_pool.id", ondelete="cascade"), index=True
    )
    name: Mapped[str]
    last_heartbeat_time: Mapped[datetime.datetime] = mapped_column(server_default=sa.func.now())
    heartbeat_interval_seconds: Mapped[int | None]
    status: Mapped[WorkerStatus] = mapped_column(
        sa.Enum(WorkerStatus, name="worker_status"), server_default="OFFLINE"
    )

    __table_args__: Any = (
        sa.UniqueConstraint("work_pool_id", "name"),
        sa.Index(
            "ix_worker__work_pool_id_last_heartbeat_time", "work_pool_id", "last_heartbeat_time"
        ),
    )


class Agent(Base):
    name: Mapped[str]
    work_queue_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("work_queue.id"), index=True)
    last_activity_time: Mapped[datetime.datetime] = mapped_column(server_default=sa.func.now())

    __table_args__: Any = (sa.UniqueConstraint("name"),)


class Variable(Base):
    name: Mapped[str]
    value: Mapped[Any | None] = mapped_column(JSON)
    tags: Mapped[list[str]] = mapped_column(JSON, server_default="[]")

    __table_args__: Any = (sa.UniqueConstraint("name"),)


class FlowRunInput(Base):
    flow_run_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("flow_run.id", ondelete="cascade"))
    key: Mapped[str]
    value: Mapped[str] = mapped_column(sa.Text())
    sender: Mapped[str | None]

    __table_args__: Any = (sa.UniqueConstraint("flow_run_id", "key"),)


class CsrfToken(Base):
    token: Mapped[str]
    client: Mapped[str] = mapped_column(unique=True)
    expiration: Mapped[datetime.datetime]


class Automation(Base):
    name: Mapped[str]
    description: Mapped[str] = mapped_column()
    enabled: Mapped[bool] = mapped_column(server_default="1")
    tags: Mapped[list[str]] = mapped_column(JSON, server_default="[]")
    trigger: Mapped[dict[str, Any]] = mapped_column(JSON)
    actions: Mapped[list[Any]] = mapped_column(JSON)
    actions_on_trigger: Mapped[list[Any]] = mapped_column(JSON, server_default="[]")
    actions_on_resolve: Mapped[list[Any]] = mapped_column(JSON, server_default="[]")


class AutomationBucket(Base):
    __table_args__: Any = (
        sa.Index(
            "uq_automation_bucket__automation_id__trigger_id__bucketing_key",
            "automation_id",
            "trigger_id",
            "bucketing_key",
            unique=True,
        ),
        sa.Index("ix_automation_bucket__automation_id__end", "automation_id", "end"),
    )

    automation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("automation.id", ondelete="CASCADE")
    )
    trigger_id: Mapped[uuid.UUID]
    bucketing_key: Mapped[list[str]] = mapped_column(JSON, server_default="[]")
    last_event: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    start: Mapped[datetime.datetime]
    end: Mapped[datetime.datetime]
    count: Mapped[int]
    last_operation: Mapped[str | None]
    triggered_at: Mapped[datetime.datetime | None]


class AutomationRelatedResource(Base):
    __table_args__: Any = (
        sa.Index(
            "uq_automation_related_resource__automation_id__resource_id",
            "automation_id",
            "resource_id",
            unique=True,
        ),
    )

    automation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("automation.id", ondelete="CASCADE")
    )
    resource_id: Mapped[str | None] = mapped_column(index=True)
    automation_owned_by_resource: Mapped[bool] = mapped_column(server_default="0")


class CompositeTriggerChildFiring(Base):
    __table_args__: Any = (
        sa.Index(
            "uq_composite_trigger_child_firing__a_id__pt_id__ct__id",
            "automation_id",
            "parent_trigger_id",
            "child_trigger_id",
            unique=True,
        ),
    )

    automation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("automation.id", ondelete="CASCADE")
    )
    parent_trigger_id: Mapped[uuid.UUID]
    child_trigger_id: Mapped[uuid.UUID]
    child_firing_id: Mapped[uuid.UUID]
    child_fired_at: Mapped[datetime.datetime | None]
    child_firing: Mapped[dict[str, Any]] = mapped_column(JSON)


class AutomationEventFollower(Base):
    __table_args__: Any = (
        sa.Index("uq_follower_for_scope", "scope", "follower_event_id", unique=True),
        sa.Index("ix_ae_follower_scope_leader", "scope", "leader_event_id"),
    )

    scope: Mapped[str] = mapped_column(index=True)
    leader_event_id: Mapped[uuid.UUID] = mapped_column(index=True)
    follower_event_id: Mapped[uuid.UUID]
    received: Mapped[datetime.datetime] = mapped_column(index=True)
    follower: Mapped[dict[str, Any]] = mapped_column(JSON)


class Event(Base):
    __tablename__ = "events"

    __table_args__: Any = (
        sa.Index(
            "ix_events__related_resource_ids_gin", "related_resource_ids", postgresql_using="gin"
        ),
        sa.Index("ix_events__occurred", "occurred"),
        sa.Index("ix_events__event__id", "event", "id"),
        sa.Index("ix_events__event_resource_id_occurred", "event", "resource_id", "occurred"),
        sa.Index("ix_events__occurred_id", "occurred", "id"),
        sa.Index("ix_events__event_occurred_id", "event", "occurred", "id"),
        sa.Index("ix_events__related_gin", "related", postgresql_using="gin"),
        sa.Index("ix_events__event_occurred", "event", "occurred"),
    )

    occurred: Mapped[datetime.datetime]
    event: Mapped[str] = mapped_column(sa.Text())
    resource_id: Mapped[str] = mapped_column(sa.Text())
    resource: Mapped[dict[str, Any]] = mapped_column(JSON)
    related_resource_ids: Mapped[list[str]] = mapped_column(JSON, server_default="[]")
    related: Mapped[list[dict[str, Any]]] = mapped_column(JSON, server_default="[]")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received: Mapped[datetime.datetime]
    recorded: Mapped[datetime.datetime]
    follows: Mapped[uuid.UUID | None]


class EventResource(Base):
    __tablename__ = "event_resources"

    __table_args__: Any = (
        sa.Index("ix_event_resources__resource_id__occurred", "resource_id", "occurred"),
        sa.Index("ix_event_resources__occurred", "occurred"),
        sa.Index("ix_event_resources__event_id", "event_id"),
    )

    occurred: Mapped[datetime.datetime]
    resource_id: Mapped[str] = mapped_column(sa.Text())
    resource_role: Mapped[str] = mapped_column(sa.Text())
    resource: Mapped[dict[str, Any]] = mapped_column(sa_JSON)
    event_id: Mapped[uuid.UUID]
