__version__ = "0.3.0"  # the successor of the 0.2.1 published as schemactl on PyPI
