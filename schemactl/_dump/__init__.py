"""``dump`` and ``load``: the schema file, written by a client binary or by schemactl itself.

Private (``_dump``), like every implementation package: a public ``schemactl.dump`` package
would hide the ``schemactl.dump`` function the moment it is imported.

    dumper.py             picks the path, normalises, appends the tracking rows, writes
    clients.py            pg_dump, mariadb-dump / mysqldump, sqlite3: found, checked, run
    normalise.py          the client output made deterministic
    builtin_<dialect>.py  the built-in dump of one database (imported by name)
    loader.py             applies a schema file to an empty database
"""
