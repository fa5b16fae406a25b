"""Every common column type and server default, per database: the false-drift sweep.

``tests/db/test_autogen_drift.py`` creates these models (``MetaData.create_all``, or the
migration ``new --auto`` writes) and requires that comparing them with what the database
then holds finds nothing. One MetaData per database, since some types exist on one only:
``tests.models.all_types:postgresql``, ``:mysql`` (MariaDB) and ``:sqlite``.

Each has the table ``common_types`` (the SQLAlchemy 2 generic types, as far as the database
takes them) and one of its own (``pg_types``, ``mysql_types``, ``lite_types``). The naming
convention names every constraint, those the column types make included (Boolean and Enum
with ``create_constraint=True``, which then need a name of their own).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql as my
from sqlalchemy.dialects import postgresql as pg

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

COLORS = ("red", "green", "blue")


class Status(enum.Enum):
    draft = "draft"
    published = "published"


def _common(metadata: sa.MetaData, dialect: str) -> sa.Table:
    """The generic types, nullable and not, with the server defaults projects use."""
    col: Callable[..., sa.Column[Any]] = sa.Column
    columns = [
        col("id", sa.Integer, primary_key=True, autoincrement=True),
        col("int_plain", sa.Integer),
        col("int_nn_default", sa.Integer, nullable=False, server_default="0"),
        col("int_number_default", sa.Integer, server_default=sa.text("42")),
        col("small", sa.SmallInteger, comment="a small integer"),
        col("big", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        col("flag", sa.Boolean),
        col("flag_true", sa.Boolean, nullable=False, server_default=sa.true()),
        col("flag_false", sa.Boolean, nullable=False, server_default=sa.false()),
        col("flag_checked", sa.Boolean(create_constraint=True, name="flag_checked")),
        col("name", sa.String(50), nullable=False),
        col("name_empty", sa.String(20), nullable=False, server_default=""),
        col("name_literal", sa.String(20), server_default="hello"),
        col("name_zero", sa.String(5), server_default="0"),
        col("body", sa.Text),
        col("title", sa.Unicode(40)),
        col("long_title", sa.UnicodeText),
        col("ratio", sa.Float),
        col("ratio_24", sa.Float(precision=24)),
        col("ratio_53", sa.Float(precision=53)),
        col("ratio_double", sa.Double),
        col("price", sa.Numeric(10, 2), nullable=False, server_default="0"),
        col("price_number", sa.Numeric(12, 4), server_default=sa.text("1.5")),
        col("amount", sa.Numeric),
        col("day", sa.Date),
        col("at", sa.DateTime),
        col("at_tz", sa.DateTime(timezone=True), server_default=sa.func.now()),
        col("at_now", sa.DateTime, nullable=False, server_default=sa.func.now()),
        col("at_current", sa.DateTime, server_default=sa.text("CURRENT_TIMESTAMP")),
        col("clock", sa.Time),
        col("span", sa.Interval),
        col("blob", sa.LargeBinary),
        col("doc", sa.JSON),
        col("uid", sa.Uuid),
        col("color", sa.Enum(*COLORS, name="color"), server_default="red"),
        col(
            "shade",
            sa.Enum(*COLORS, name="shade", native_enum=False, create_constraint=True),
        ),
        col("tone", sa.Enum(*COLORS, name="tone", native_enum=False, create_constraint=False)),
        # native where the database has enums (no CHECK there), else a CHECK
        col("hue", sa.Enum(*COLORS, name="hue", create_constraint=True)),
        col("status", sa.Enum(Status, name="status"), nullable=False, server_default="draft"),
        col("noted", sa.Integer, comment="what it is"),
    ]
    if dialect != "mysql":  # MySQL/MariaDB have no VARCHAR without a length
        columns.append(col("free_text", sa.String()))
    return sa.Table("common_types", metadata, *columns, comment="every generic type")


def _postgresql() -> sa.MetaData:
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    _common(metadata, "postgresql")
    sa.Table(
        "pg_types",
        metadata,
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("data", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("data_plain", pg.JSONB),
        sa.Column("numbers", pg.ARRAY(sa.Integer)),
        sa.Column("tags", pg.ARRAY(sa.String(20)), server_default=sa.text("'{}'")),
        sa.Column("address", pg.INET),
        sa.Column("network", pg.CIDR),
        sa.Column("search", pg.TSVECTOR),
        sa.Column("raw", pg.BYTEA),
        sa.Column("at_ms", pg.TIMESTAMP(precision=3)),
        sa.Column("at_tz_us", pg.TIMESTAMP(timezone=True, precision=6)),
        sa.Column("amount", pg.NUMERIC(10)),
        sa.Column("amount_any", pg.NUMERIC()),
        sa.Column("span", pg.INTERVAL()),
        sa.Column("uid", pg.UUID, server_default=sa.text("gen_random_uuid()")),
        # spelled otherwise than PostgreSQL keeps it (a volatile function: never equal to
        # itself when the server is asked), as Prefect's GenerateUUID compiles it
        sa.Column("uid_spelled", pg.UUID, server_default=sa.text("(GEN_RANDOM_UUID())")),
        sa.Column("created_spelled", sa.DateTime, server_default=sa.text("NOW( )")),
        sa.Column("mood", pg.ENUM("sad", "ok", "happy", name="mood")),
        sa.Column("real", pg.REAL),
        sa.Column("double", pg.DOUBLE_PRECISION),
        sa.Column("created", sa.DateTime(timezone=True), server_default=sa.text("now()")),
    )
    return metadata


def _mysql() -> sa.MetaData:
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    _common(metadata, "mysql")
    sa.Table(
        "mysql_types",
        metadata,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("tiny", my.TINYINT),
        sa.Column("tiny_one", my.TINYINT(1)),
        sa.Column("medium_text", my.MEDIUMTEXT),
        sa.Column("long_text", my.LONGTEXT),
        sa.Column("at_us", my.DATETIME(fsp=6), server_default=sa.text("CURRENT_TIMESTAMP(6)")),
        sa.Column("stamp", my.TIMESTAMP(fsp=3), nullable=True),
        sa.Column("options", my.SET("a", "b", "c")),
        sa.Column("year", my.YEAR),
        sa.Column("bits", my.BIT(8)),
        sa.Column("bit_one", my.BIT),
        sa.Column("count", my.INTEGER(unsigned=True), nullable=False, server_default="0"),
        sa.Column("big_count", my.BIGINT(unsigned=True)),
        sa.Column("ratio", my.FLOAT(32)),
        sa.Column("ratio_double", my.DOUBLE),
        sa.Column("amount", my.DECIMAL(20, 6)),
        sa.Column("mood", my.ENUM("sad", "ok", "happy")),
        sa.Column("code", my.CHAR(3)),
        sa.Column("label", my.VARCHAR(30, charset="utf8mb4")),
    )
    return metadata


def _sqlite() -> sa.MetaData:
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    _common(metadata, "sqlite")
    sa.Table(
        "lite_types",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("real", sa.REAL),
        sa.Column("numeric", sa.NUMERIC(8, 3)),
        sa.Column("text_default", sa.Text, server_default="none"),
        sa.Column("created", sa.DateTime, server_default=sa.text("(datetime('now'))")),
        sa.Column("blob", sa.BLOB),
        sa.Column("char", sa.CHAR(2)),
    )
    return metadata


postgresql = _postgresql()
mysql = _mysql()
sqlite = _sqlite()
BY_DIALECT = {"postgresql": postgresql, "mysql": mysql, "sqlite": sqlite}
