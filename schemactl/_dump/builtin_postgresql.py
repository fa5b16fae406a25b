"""The built-in PostgreSQL schema dump: the catalogs read through the async connection.

No ``pg_dump`` needed: every definition comes from the server's own deparsers
(``format_type``, ``pg_get_expr``, ``pg_get_constraintdef``, ``pg_get_indexdef``,
``pg_get_viewdef``, ``pg_get_functiondef``, ``pg_get_triggerdef``), read with an empty
``search_path`` so that every name comes out schema-qualified, as pg_dump writes them (the
connection's own ``search_path`` is put back afterwards).

Order: ``SET check_function_bodies = false`` (as pg_dump: a SQL function may name a view
created later), schemas, extensions, enum types, domains, composite types, sequences,
functions that need no table, tables (primary key, unique, check and exclusion
constraints inline), serial sequences' ``OWNED BY``, then functions that need a table and
views in dependency order, indexes, foreign keys and late checks (``NOT VALID``) as
``ALTER TABLE``, triggers, comments.
Ties are broken by schema-qualified name, so the same schema gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from ._order import dependency_order

__all__ = ["dump_schema"]

# (``:schemas``: the URL's search_path, as pg_dump's ``--schema``; empty: every schema)
_USER_NAMESPACE = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)' "
    "AND (cardinality(CAST(:schemas AS text[])) = 0 OR n.nspname = ANY(CAST(:schemas AS text[])))"
)
_EXTENSION_MEMBERS = """
SELECT classid::regclass::text, objid FROM pg_catalog.pg_depend WHERE deptype = 'e'
"""
_SCHEMAS = f"""
SELECT n.oid, quote_ident(n.nspname), n.nspname FROM pg_catalog.pg_namespace n
WHERE {_USER_NAMESPACE}
"""
_EXTENSIONS = """
SELECT quote_ident(e.extname), quote_ident(n.nspname) FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql'
"""
_ENUMS = f"""
SELECT t.oid, format_type(t.oid, NULL),
       array(SELECT quote_literal(e.enumlabel) FROM pg_catalog.pg_enum e
             WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)
FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'e' AND {_USER_NAMESPACE}
"""
_DOMAINS = f"""
SELECT t.oid, format_type(t.oid, NULL), format_type(t.typbasetype, t.typtypmod),
       CASE WHEN t.typcollation <> b.typcollation
            THEN ' COLLATE ' || quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
            ELSE '' END
       || coalesce(' DEFAULT ' || pg_get_expr(t.typdefaultbin, 0), '')
       || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END
       || coalesce((SELECT string_agg(' CONSTRAINT ' || quote_ident(c.conname) || ' '
                                      || pg_get_constraintdef(c.oid), '' ORDER BY c.conname)
                    FROM pg_catalog.pg_constraint c WHERE c.contypid = t.oid), '')
FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
JOIN pg_catalog.pg_type b ON b.oid = t.typbasetype
LEFT JOIN pg_catalog.pg_collation co ON co.oid = t.typcollation
LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
WHERE t.typtype = 'd' AND {_USER_NAMESPACE}
"""
_COMPOSITES = f"""
SELECT t.oid, format_type(t.oid, NULL),
       array(SELECT quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
             FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum)
FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
JOIN pg_catalog.pg_class r ON r.oid = t.typrelid
WHERE t.typtype = 'c' AND r.relkind = 'c' AND {_USER_NAMESPACE}
"""
_SEQUENCE_OPTIONS = """
'START WITH ' || s.seqstart || ' INCREMENT BY ' || s.seqincrement || ' MINVALUE ' || s.seqmin
|| ' MAXVALUE ' || s.seqmax || ' CACHE ' || s.seqcache || CASE WHEN s.seqcycle THEN ' CYCLE'
ELSE '' END
"""
_SEQUENCES = f"""
SELECT c.oid, c.oid::regclass::text, format_type(s.seqtypid, NULL), {_SEQUENCE_OPTIONS},
       (SELECT d.refobjid::regclass::text || '.' || quote_ident(a.attname)
        FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_attribute a
          ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
          AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a'),
       (SELECT t.relname FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class t
          ON t.oid = d.refobjid
        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
          AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a')
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'S' AND {_USER_NAMESPACE} AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_class'::regclass
    AND d.objid = c.oid AND d.deptype = 'i')
"""
_RELATIONS = f"""
SELECT c.oid, c.oid::regclass::text, c.relkind::text, c.relname, c.relpersistence = 'u',
       coalesce(array_to_string(c.reloptions, ', '), ''), c.relispartition,
       EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid)
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {_USER_NAMESPACE}
"""
_COLUMNS = f"""
SELECT a.attrelid, a.attnum, quote_ident(a.attname), format_type(a.atttypid, a.atttypmod),
       a.attnotnull,
       pg_get_expr(ad.adbin, ad.adrelid), a.attidentity::text, a.attgenerated::text,
       CASE WHEN a.attcollation <> t.typcollation
            THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END,
       (SELECT ' (SEQUENCE NAME ' || d.objid::regclass::text || ' ' || {_SEQUENCE_OPTIONS} || ')'
        FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_sequence s ON s.seqrelid = d.objid
        WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = a.attrelid
          AND d.refobjsubid = a.attnum AND d.classid = 'pg_class'::regclass
          AND d.deptype = 'i')
FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attrelid = ANY(:oids)
ORDER BY a.attrelid, a.attnum
"""
_CONSTRAINTS = """
SELECT c.conrelid, quote_ident(c.conname), c.contype::text, pg_get_constraintdef(c.oid),
       c.convalidated
FROM pg_catalog.pg_constraint c
WHERE c.conrelid = ANY(:oids) AND c.conislocal AND c.contype IN ('p', 'u', 'c', 'f', 'x')
"""
_INDEXES = """
SELECT i.indrelid, ic.relname, pg_get_indexdef(i.indexrelid)
FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
WHERE i.indrelid = ANY(:oids) AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_constraint c
    WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))
"""
_VIEW_BODIES = (
    "SELECT c.oid, pg_get_viewdef(c.oid) FROM pg_catalog.pg_class c WHERE c.oid = ANY(:oids)"
)
_FUNCTIONS = f"""
SELECT p.oid, p.oid::regprocedure::text, p.prokind::text, p.prosqlbody IS NOT NULL,
       CASE WHEN p.prokind IN ('f', 'p', 'w') THEN pg_get_functiondef(p.oid) END
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE {_USER_NAMESPACE}
"""
# what functions and views need: relations (a view's rule, a function's SQL-standard body,
# a row type in a signature) and functions (a view calling one)
_DEPENDENCIES = """
SELECT CASE WHEN d.classid = 'pg_rewrite'::regclass THEN r.ev_class ELSE d.objid END,
       CASE WHEN d.refclassid = 'pg_type'::regclass THEN t.typrelid ELSE d.refobjid END
FROM pg_catalog.pg_depend d
LEFT JOIN pg_catalog.pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
LEFT JOIN pg_catalog.pg_type t ON d.refclassid = 'pg_type'::regclass AND t.oid = d.refobjid
WHERE d.classid IN ('pg_rewrite'::regclass, 'pg_proc'::regclass)
  AND d.refclassid IN ('pg_class'::regclass, 'pg_proc'::regclass, 'pg_type'::regclass)
  AND d.deptype = 'n'
"""
_TRIGGERS = """
SELECT t.tgrelid, quote_ident(t.tgname), pg_get_triggerdef(t.oid), t.tgenabled::text
FROM pg_catalog.pg_trigger t WHERE t.tgrelid = ANY(:oids) AND NOT t.tgisinternal
"""
_COMMENTS = """
SELECT d.classoid::regclass::text, d.objoid, d.objsubid, quote_literal(d.description)
FROM pg_catalog.pg_description d
"""
_RELATION_KINDS = {
    "r": "TABLE",
    "p": "TABLE",
    "v": "VIEW",
    "m": "MATERIALIZED VIEW",
    "f": "FOREIGN TABLE",
    "S": "SEQUENCE",
    "i": "INDEX",
}


@dataclass(frozen=True)
class _Relation:
    oid: int
    name: str  # schema-qualified, quoted
    kind: str
    bare: str
    unlogged: bool
    options: str
    partition_or_child: bool


class _Catalog:
    """One pass over the catalogs: the rows each section of the dump is written from."""

    def __init__(self, conn: AsyncConnection, schemas: Sequence[str]) -> None:
        self.conn, self.schemas = conn, list(schemas)

    async def rows(self, sql: str, **params: Any) -> list[Sequence[Any]]:
        if ":schemas" in sql:
            params["schemas"] = self.schemas
        return list((await self.conn.execute(text(sql), params)).all())


async def dump_schema(
    conn: AsyncConnection, *, exclude: frozenset[str], schemas: Sequence[str] = ()
) -> str:
    """The SQL text that recreates the schema of the database ``conn`` is in.

    ``exclude`` names tables (by name, or schema-qualified as the dump writes it) left out,
    with their sequences, indexes, constraints, triggers and comments. ``schemas``, when
    given, are the only schemas dumped, and extensions are left out, as ``pg_dump --schema``
    does::

        sql = await dump_schema(conn, exclude=frozenset({"schema_migrations"}))
    """
    saved = (await conn.execute(text("SELECT current_setting('search_path')"))).scalar_one()
    await conn.execute(text("SELECT set_config('search_path', '', false)"))
    try:
        return await _dump(_Catalog(conn, schemas), exclude)
    finally:
        await conn.execute(text("SELECT set_config('search_path', :p, false)"), {"p": saved})


async def _dump(cat: _Catalog, exclude: frozenset[str]) -> str:
    members = {(str(c), int(o)) for c, o in await cat.rows(_EXTENSION_MEMBERS)}

    def own(catalog: str, rows: Iterable[Sequence[Any]]) -> list[Sequence[Any]]:
        return [r for r in rows if (catalog, int(r[0])) not in members]

    out: list[str] = ["SET check_function_bodies = false;\n"]
    schemas = own("pg_namespace", await cat.rows(_SCHEMAS))
    out += [
        f"CREATE SCHEMA {q};\n" for _, q, raw in sorted(schemas, key=_key(2)) if raw != "public"
    ]
    if not cat.schemas:
        out += [
            f"CREATE EXTENSION IF NOT EXISTS {e} WITH SCHEMA {s};\n"
            for e, s in sorted(await cat.rows(_EXTENSIONS), key=_key(0))
        ]
    enums = own("pg_type", await cat.rows(_ENUMS))
    out += [
        f"CREATE TYPE {name} AS ENUM ({', '.join(labels)});\n"
        for _, name, labels in sorted(enums, key=_key(1))
    ]
    domains = sorted(own("pg_type", await cat.rows(_DOMAINS)), key=_key(1))
    out += [f"CREATE DOMAIN {name} AS {base}{rest};\n" for _, name, base, rest in domains]
    composites = sorted(own("pg_type", await cat.rows(_COMPOSITES)), key=_key(1))
    out += [f"CREATE TYPE {name} AS ({', '.join(fields)});\n" for _, name, fields in composites]
    types = enums + domains + composites
    sequences = sorted(own("pg_class", await cat.rows(_SEQUENCES)), key=_key(1))
    sequences = [s for s in sequences if s[5] not in exclude]
    out += [f"CREATE SEQUENCE {s[1]} AS {s[2]} {s[3]};\n" for s in sequences]

    relations = [
        _Relation(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6] or r[7])
        for r in own("pg_class", await cat.rows(_RELATIONS))
    ]
    relations = [r for r in relations if r.bare not in exclude and r.name not in exclude]
    relations.sort(key=lambda r: r.name)
    tables = [r for r in relations if r.kind == "r" and not r.partition_or_child]
    unsupported = [r for r in relations if r.kind in "pf" or r.partition_or_child]
    oids = [r.oid for r in relations]
    by_oid = {r.oid: r for r in relations}

    functions = own("pg_proc", await cat.rows(_FUNCTIONS))
    needs: dict[int, set[int]] = {}
    for obj, ref in await cat.rows(_DEPENDENCIES):
        needs.setdefault(int(obj), set()).add(int(ref))
    views = {r.oid: r for r in relations if r.kind in "vm"}
    late_functions = {
        int(f[0]) for f in functions if f[3] or any(d in by_oid for d in needs.get(int(f[0]), ()))
    }
    definitions = {int(f[0]): f for f in functions if f[4] is not None}
    out += [
        _function(f[4])
        for f in sorted(definitions.values(), key=_key(1))
        if int(f[0]) not in late_functions
    ]

    columns: dict[int, list[Sequence[Any]]] = {}
    for row in await cat.rows(_COLUMNS, oids=oids):
        columns.setdefault(int(row[0]), []).append(row)
    constraints = sorted(await cat.rows(_CONSTRAINTS, oids=oids), key=lambda c: (c[2], c[1]))
    inline: dict[int, list[str]] = {}
    later: list[tuple[str, str, str]] = []
    for rel, name, kind, definition, valid in constraints:
        if rel not in by_oid:
            continue
        if kind == "f" or not valid:
            later.append((by_oid[rel].name, name, definition))
        else:
            inline.setdefault(int(rel), []).append(f"CONSTRAINT {name} {definition}")
    out += [_table(t, columns.get(t.oid, []), inline.get(t.oid, [])) for t in tables]
    out += [f"ALTER SEQUENCE {s[1]} OWNED BY {s[4]};\n" for s in sequences if s[4]]

    late: dict[int, str] = {f: definitions[f][1] for f in late_functions if f in definitions}
    late.update({v: r.name for v, r in views.items()})
    bodies = {int(o): str(b) for o, b in await cat.rows(_VIEW_BODIES, oids=list(views))}
    for oid in dependency_order(late, needs):
        out.append(
            _view(views[oid], bodies[oid]) if oid in views else _function(definitions[oid][4])
        )

    indexes = sorted(await cat.rows(_INDEXES, oids=oids), key=lambda i: (by_oid[i[0]].name, i[1]))
    out += [f"{i[2]};\n" for i in indexes if by_oid[i[0]].kind in "rm"]
    out += [
        f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition};\n"
        for table, name, definition in sorted(later)
    ]
    triggers = sorted(await cat.rows(_TRIGGERS, oids=oids), key=lambda t: (by_oid[t[0]].name, t[1]))
    for rel, name, definition, enabled in triggers:
        out.append(f"{definition};\n")
        if enabled == "D":
            out.append(f"ALTER TABLE {by_oid[rel].name} DISABLE TRIGGER {name};\n")
    out += _comments(
        await cat.rows(_COMMENTS), by_oid, columns, schemas, types, sequences, definitions
    )
    out += [
        f"-- not dumped by the built-in dump: {_RELATION_KINDS[r.kind].lower()} {r.name}"
        f"{' (a partition or inheritance child)' if r.partition_or_child else ''}\n"
        for r in unsupported
    ]
    out += [
        f"-- not dumped by the built-in dump: aggregate {f[1]}\n"
        for f in sorted(functions, key=_key(1))
        if f[4] is None
    ]
    return "".join(out)


def _key(i: int) -> Any:
    return lambda row: str(row[i])


def _function(definition: str) -> str:
    return definition.rstrip() + ";\n"


def _table(table: _Relation, columns: list[Sequence[Any]], constraints: list[str]) -> str:
    lines = [_column(c) for c in columns] + constraints
    unlogged = "UNLOGGED " if table.unlogged else ""
    options = f" WITH ({table.options})" if table.options else ""
    body = ",\n".join(f"    {line}" for line in lines)
    return f"CREATE {unlogged}TABLE {table.name} (\n{body}\n){options};\n"


def _column(row: Sequence[Any]) -> str:
    _, _, name, type_, not_null, default, identity, generated, collation, identity_options = row
    parts = [name, type_]
    if collation:
        parts.append(f"COLLATE {collation}")
    if generated == "s":
        parts.append(f"GENERATED ALWAYS AS ({default}) STORED")
    elif default is not None:
        parts.append(f"DEFAULT {default}")
    if identity:
        how = "ALWAYS" if identity == "a" else "BY DEFAULT"
        parts.append(f"GENERATED {how} AS IDENTITY{identity_options or ''}")
    if not_null:
        parts.append("NOT NULL")
    return " ".join(parts)


def _view(view: _Relation, body: str) -> str:
    options = f" WITH ({view.options})" if view.options else ""
    body = body.rstrip().rstrip(";")
    if view.kind == "m":
        return f"CREATE MATERIALIZED VIEW {view.name}{options} AS\n{body};\n"
    return f"CREATE VIEW {view.name}{options} AS\n{body};\n"


def _comments(
    rows: list[Sequence[Any]],
    relations: dict[int, _Relation],
    columns: dict[int, list[Sequence[Any]]],
    schemas: list[Sequence[Any]],
    types: list[Sequence[Any]],
    sequences: list[Sequence[Any]],
    functions: dict[int, Sequence[Any]],
) -> list[str]:
    """``COMMENT ON`` for the dumped schemas, types, sequences, functions, tables, views and
    their columns, sorted by the statement (the order does not matter to the database)."""
    schema_names = {int(s[0]): s[1] for s in schemas}
    type_names = {int(t[0]): t[1] for t in types}
    sequence_names = {int(s[0]): s[1] for s in sequences}
    out: list[str] = []
    for catalog, oid, sub, literal in rows:
        target = None
        if catalog == "pg_class" and oid in relations:
            rel = relations[oid]
            if sub == 0:
                target = f"{_RELATION_KINDS[rel.kind]} {rel.name}"
            else:
                names = {c[1]: c[2] for c in columns.get(oid, [])}
                target = f"COLUMN {rel.name}.{names[sub]}" if sub in names else None
        elif catalog == "pg_class" and oid in sequence_names:
            target = f"SEQUENCE {sequence_names[oid]}"
        elif catalog == "pg_namespace" and oid in schema_names:
            target = f"SCHEMA {schema_names[oid]}"
        elif catalog == "pg_type" and oid in type_names:
            target = f"TYPE {type_names[oid]}"
        elif catalog == "pg_proc" and oid in functions:
            kind = "PROCEDURE" if functions[oid][2] == "p" else "FUNCTION"
            target = f"{kind} {functions[oid][1]}"
        if target is not None:
            out.append(f"COMMENT ON {target} IS {literal};\n")
    return sorted(out)
