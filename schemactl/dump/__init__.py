"""Schema dumps: the database's own client when it can, else the built-in catalog readers."""
