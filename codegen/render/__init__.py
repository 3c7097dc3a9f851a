"""Plans to file contents: Jinja templates, the runtime modules copied into the package,
the sync twins (AST transform) and tables.py (sqlacodegen, in process)."""
