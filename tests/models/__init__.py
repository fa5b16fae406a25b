"""Model sets for the autogenerate tests (``schemactl new --auto --models tests.models.X``).

Every module here must create cleanly on PostgreSQL, MariaDB and SQLite and re-diff to nothing
against the database it created (modulo the MariaDB server-default spellings that schemactl's
comparator evaluates on the server), except ``in_schema``, whose schema MariaDB and SQLite
refuse (PostgreSQL only), and ``all_types``, one MetaData per database
(``tests.models.all_types:mysql``). Do not import ``broken`` from here: it raises on import.
"""
