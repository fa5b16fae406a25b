"""CKAN's core model tables, extracted to stand alone (a corpus set for schemactl's tests).

Source: https://github.com/ckan/ckan
Commit: 2dbe2c18f65ec75798c3667dd412c2320ac44ab0
Paths: ckan/model/{meta,api_token,dashboard,file,file_owner,follower,group,package,
package_relationship,resource,resource_view,system_info,tag,task_status,term_translation,
user,vocabulary}.py
Licence: AGPL-3.0-or-later

Databases: PostgreSQL only. CKAN supports only PostgreSQL, and its models say so: ``JSONB``
columns, check constraints calling ``jsonb_typeof``/``jsonb_path_exists``, expression
indexes on ``name::text``, and a partial unique index (``postgresql_where``).

What it exercises: SQLAlchemy Core ``Table()`` definitions (imperative mapping) beside
2.0 dataclass-mapped classes on the same ``MetaData``, text primary keys, composite primary
keys made of foreign keys, primary-key columns whose type comes from their ``ForeignKey``
(``package_member``), foreign keys with ``ON UPDATE``/``ON DELETE CASCADE``, named and
unnamed foreign keys, expression and partial indexes, named column-level check constraints,
unnamed multi-column unique constraints, a table without a primary key
(``term_translation``), a column named ``order``.

Edits (every one):
1. ``meta.metadata`` became a module-level ``MetaData()`` (CKAN's ``meta.metadata`` is a
   plain ``MetaData()`` too); ``types.X``/``sqlalchemy.X``/``sa.X`` became the
   ``sqlalchemy`` names.
2. ``_types.JsonDictType`` (a ``TypeDecorator`` with ``impl = types.UnicodeText``) became
   ``UnicodeText``; ``MutableDict.as_mutable(JSONB)`` became ``JSONB``.
3. The three ``@registry.mapped_as_dataclass`` classes (``File``, ``FileOwner``,
   ``FileOwnerTransferHistory``) became Core ``Table()``s with the same columns:
   ``Mapped[text]`` (``Annotated[str, mapped_column(sa.TEXT)]``) is ``TEXT NOT NULL``,
   ``Mapped[bigint]`` is ``BIGINT NOT NULL``, ``Mapped[datetime_tz]`` is
   ``TIMESTAMP WITH TIME ZONE NOT NULL``, ``Mapped[bool]`` is ``BOOLEAN NOT NULL``,
   ``Mapped[dict[str, Any]]`` with ``JSONB`` is ``JSONB NOT NULL``; ``default``/
   ``default_factory``/``insert_default`` (client-side) dropped; column order as declared.
4. Imperative mappings (``meta.registry.map_imperatively``), domain classes, relationships
   and methods dropped; client-side ``default=`` callables (``make_uuid``, ``datetime.now``,
   ``set_api_key``, ``_make_token``) and ``core.State.ACTIVE`` (the string ``"active"``)
   defaults dropped; ``doc=`` arguments dropped. None of them touches the schema.
5. Length constants inlined: ``PACKAGE_NAME_MAX_LENGTH``, ``PACKAGE_VERSION_MAX_LENGTH``,
   ``MAX_TAG_LENGTH`` and ``VOCABULARY_NAME_MAX_LENGTH`` are all 100.
6. The three ``user_following_*`` tables, written out in full in CKAN, are made by one
   helper, ``_following``, with the same columns, keys and actions.
7. Tables not defined in ``ckan/model`` (the activity tables moved to the ``activity``
   plugin) are not included.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Table,
    Unicode,
    UnicodeText,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

_FLAT_EXTRAS = """
        jsonb_typeof(extras) = 'object' and
        not jsonb_path_exists(extras, '$.* ? (@.type() <> "string")')
        """

user_table = Table(
    "user",
    metadata,
    Column("id", UnicodeText, primary_key=True),
    Column("name", UnicodeText, nullable=False, unique=True),
    Column("password", UnicodeText),
    Column("fullname", UnicodeText),
    Column("email", UnicodeText),
    Column("apikey", UnicodeText),
    Column("created", DateTime),
    Column("reset_key", UnicodeText),
    Column("about", UnicodeText),
    Column("last_active", sa.TIMESTAMP),
    Column("activity_streams_email_notifications", Boolean),
    Column("sysadmin", Boolean),
    Column("state", UnicodeText, nullable=False),
    Column("image_url", UnicodeText),
    Column("plugin_extras", JSONB),
    Index("idx_user_id", "id"),
    Index("idx_user_name", "name"),
    Index(
        "idx_only_one_active_email_no_case",
        func.lower(Column("email")),
        unique=True,
        postgresql_where="(state = 'active'::text)",
    ),
    Index(
        "idx_user_name_index",
        sa.text(
            "(\nCASE\n    WHEN fullname IS NULL OR fullname = ''::text"
            " THEN name\n    ELSE fullname\nEND)"
        ),
    ),
)

api_token_table = Table(
    "api_token",
    metadata,
    Column("id", UnicodeText, primary_key=True),
    Column("name", UnicodeText),
    Column("user_id", UnicodeText, ForeignKey("user.id")),
    Column("created_at", DateTime),
    Column("last_access", DateTime, nullable=True),
    Column("plugin_extras", JSONB),
)

dashboard_table = Table(
    "dashboard",
    metadata,
    Column(
        "user_id",
        UnicodeText,
        ForeignKey("user.id", onupdate="CASCADE", ondelete="CASCADE"),
        primary_key=True,
        nullable=False,
    ),
    Column("activity_stream_last_viewed", DateTime, nullable=False),
    Column("email_last_sent", DateTime, nullable=False),
)

file_table = Table(
    "file",
    metadata,
    Column("name", sa.TEXT, nullable=False),
    Column("location", sa.TEXT, nullable=False),
    Column("storage", sa.TEXT, nullable=False),
    Column("content_type", sa.TEXT, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("hash", sa.TEXT, nullable=False),
    Column("algorithm", sa.TEXT, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("storage_data", JSONB, nullable=False),
    Column("plugin_data", JSONB, nullable=False),
    Column("id", sa.TEXT, primary_key=True),
    Index("idx_file_location_in_storage", "storage", "location", unique=True),
)

file_owner_table = Table(
    "file_owner",
    metadata,
    Column("file_id", sa.TEXT, primary_key=True),
    Column("owner_id", sa.TEXT, nullable=False),
    Column("owner_type", sa.TEXT, nullable=False),
    Column("pinned", Boolean, nullable=False),
    Index("idx_owner_owner", "owner_type", "owner_id", unique=False),
    ForeignKeyConstraint(["file_id"], ["file.id"], "file_owner_file_id_fkey", ondelete="CASCADE"),
)

file_owner_transfer_history_table = Table(
    "file_owner_transfer_history",
    metadata,
    Column("file_id", sa.TEXT, nullable=False),
    Column("owner_id", sa.TEXT, nullable=False),
    Column("owner_type", sa.TEXT, nullable=False),
    Column("actor", sa.TEXT, nullable=False),
    Column("id", sa.TEXT, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("action", sa.TEXT, nullable=False),
    ForeignKeyConstraint(
        ["file_id"],
        ["file_owner.file_id"],
        "owner_transfer_history_file_id_fkey",
        ondelete="CASCADE",
    ),
)

group_table = Table(
    "group",
    metadata,
    Column("id", UnicodeText, primary_key=True),
    Column("name", UnicodeText, nullable=False, unique=True),
    Column("title", UnicodeText),
    Column("type", UnicodeText, nullable=False),
    Column("description", UnicodeText),
    Column("image_url", UnicodeText),
    Column("created", DateTime),
    Column("is_organization", Boolean),
    Column("approval_status", UnicodeText),
    Column("state", UnicodeText),
    Column("extras", JSONB, CheckConstraint(_FLAT_EXTRAS, name="group_flat_extras")),
    Index("idx_group_id", "id"),
    Index("idx_group_name", "name"),
)

member_table = Table(
    "member",
    metadata,
    Column("id", UnicodeText, primary_key=True),
    Column("table_name", UnicodeText, nullable=False),
    Column("table_id", UnicodeText, nullable=False),
    Column("capacity", UnicodeText, nullable=False),
    Column("group_id", UnicodeText, ForeignKey("group.id")),
    Column("state", UnicodeText),
    Index("idx_group_pkg_id", "table_id"),
    Index("idx_extra_grp_id_pkg_id", "group_id", "table_id"),
    Index("idx_package_group_id", "id"),
)

package_table = Table(
    "package",
    metadata,
    Column("id", UnicodeText, primary_key=True),
    Column("name", Unicode(100), nullable=False, unique=True),
    Column("title", UnicodeText),
    Column("version", Unicode(100)),
    Column("url", UnicodeText),
    Column("author", UnicodeText),
    Column("author_email", UnicodeText),
    Column("maintainer", UnicodeText),
    Column("maintainer_email", UnicodeText),
    Column("notes", UnicodeText),
    Column("license_id", UnicodeText),
    Column("type", UnicodeText),
    Column("owner_org", UnicodeText),
    Column("creator_user_id", UnicodeText),
    Column("metadata_created", DateTime),
    Column("metadata_modified", DateTime),
    Column("private", Boolean),
    Column("state", UnicodeText),
    Column("plugin_data", JSONB),
    Column("extras", JSONB, CheckConstraint(_FLAT_EXTRAS, name="package_flat_extras")),
    Index("idx_pkg_sid", "id", "state"),
    Index("idx_pkg_sname", "name", "state"),
    Index("idx_pkg_slname", sa.func.lower(sa.text("name::text")), "state"),
    Index("idx_pkg_lname", sa.func.lower(sa.text("name::text"))),
    Index("idx_pkg_suname", sa.func.upper(sa.text("name::text")), "state"),
    Index("idx_pkg_uname", sa.func.upper(sa.text("name::text"))),
    Index("idx_pkg_stitle", "title", "state"),
    Index("idx_package_creator_user_id", "creator_user_id"),
)

package_member_table = Table(
    "package_member",
    metadata,
    Column("package_id", ForeignKey("package.id"), primary_key=True),
    Column("user_id", ForeignKey("user.id"), primary_key=True),
    Column("capacity", UnicodeText, nullable=False),
    Column("modified", DateTime, nullable=False),
)

package_relationship_table = Table(
    "package_relationship",
    metadata,
    Column("id", UnicodeText, primary_key=True),
    Column("subject_package_id", UnicodeText, ForeignKey("package.id")),
    Column("object_package_id", UnicodeText, ForeignKey("package.id")),
    Column("type", UnicodeText),
    Column("comment", UnicodeText),
    Column("state", UnicodeText),
)

resource_table = Table(
    "resource",
    metadata,
    Column("id", UnicodeText, primary_key=True),
    Column("package_id", UnicodeText, ForeignKey("package.id"), nullable=False),
    Column("url", UnicodeText, nullable=False),
    Column("format", UnicodeText),
    Column("description", UnicodeText),
    Column("hash", UnicodeText),
    Column("position", Integer),
    Column("name", UnicodeText),
    Column("resource_type", UnicodeText),
    Column("mimetype", UnicodeText),
    Column("mimetype_inner", UnicodeText),
    Column("size", BigInteger),
    Column("created", DateTime),
    Column("last_modified", DateTime),
    Column("metadata_modified", DateTime),
    Column("cache_url", UnicodeText),
    Column("cache_last_updated", DateTime),
    Column("url_type", UnicodeText),
    Column("extras", UnicodeText),
    Column("state", UnicodeText),
    Index("idx_package_resource_id", "id"),
    Index("idx_package_resource_package_id", "package_id"),
    Index("idx_package_resource_url", "url"),
)

resource_view_table = Table(
    "resource_view",
    metadata,
    Column("id", UnicodeText, primary_key=True),
    Column(
        "resource_id",
        UnicodeText,
        ForeignKey("resource.id", onupdate="CASCADE", ondelete="CASCADE"),
    ),
    Column("title", UnicodeText, nullable=True),
    Column("description", UnicodeText, nullable=True),
    Column("view_type", UnicodeText, nullable=False),
    Column("order", Integer, nullable=False),
    Column("config", UnicodeText),
    Index("idx_view_resource_id", "resource_id"),
)

system_info_table = Table(
    "system_info",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("key", Unicode(100), unique=True, nullable=False),
    Column("value", UnicodeText),
    Column("state", UnicodeText, nullable=False),
)

vocabulary_table = Table(
    "vocabulary",
    metadata,
    Column("id", UnicodeText, primary_key=True),
    Column("name", Unicode(100), nullable=False, unique=True),
)

tag_table = Table(
    "tag",
    metadata,
    Column("id", UnicodeText, primary_key=True),
    Column("name", Unicode(100), nullable=False),
    Column("vocabulary_id", Unicode(100), ForeignKey("vocabulary.id")),
    UniqueConstraint("name", "vocabulary_id"),
    Index("idx_tag_id", "id"),
    Index("idx_tag_name", "name"),
)

package_tag_table = Table(
    "package_tag",
    metadata,
    Column("id", UnicodeText, primary_key=True),
    Column("package_id", UnicodeText, ForeignKey("package.id")),
    Column("tag_id", UnicodeText, ForeignKey("tag.id")),
    Column("state", UnicodeText),
    Index("idx_package_tag_id", "id"),
    Index("idx_package_tag_pkg_id", "package_id"),
    Index("idx_package_tag_pkg_id_tag_id", "tag_id", "package_id"),
)

task_status_table = Table(
    "task_status",
    metadata,
    Column("id", UnicodeText, primary_key=True),
    Column("entity_id", UnicodeText, nullable=False),
    Column("entity_type", UnicodeText, nullable=False),
    Column("task_type", UnicodeText, nullable=False),
    Column("key", UnicodeText, nullable=False),
    Column("value", UnicodeText, nullable=False),
    Column("state", UnicodeText),
    Column("error", UnicodeText),
    Column("last_updated", DateTime),
    UniqueConstraint("entity_id", "task_type", "key"),
)

term_translation_table = Table(
    "term_translation",
    metadata,
    Column("term", UnicodeText, nullable=False),
    Column("term_translation", UnicodeText, nullable=False),
    Column("lang_code", UnicodeText, nullable=False),
    Index("term_lang", "term", "lang_code"),
)


def _following(name: str, target: str) -> Table:
    """The three follower tables share one shape (CKAN writes each out in full)."""
    return Table(
        name,
        metadata,
        Column(
            "follower_id",
            UnicodeText,
            ForeignKey("user.id", onupdate="CASCADE", ondelete="CASCADE"),
            primary_key=True,
            nullable=False,
        ),
        Column(
            "object_id",
            UnicodeText,
            ForeignKey(f"{target}.id", onupdate="CASCADE", ondelete="CASCADE"),
            primary_key=True,
            nullable=False,
        ),
        Column("datetime", DateTime, nullable=False),
    )


user_following_user_table = _following("user_following_user", "user")
user_following_dataset_table = _following("user_following_dataset", "package")
user_following_group_table = _following("user_following_group", "group")
