"""Read the database into the IR: the only stage that does database I/O."""
