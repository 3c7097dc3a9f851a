"""The migration workflow and the servers it needs: embedded PostgreSQL, Atlas, migrations."""
