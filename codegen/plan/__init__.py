"""Pure planning: every Python decision (names, types, docs, SQLAlchemy metadata) from the IR."""
