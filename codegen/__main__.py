import sys

from codegen import worker

# The commands that generate start the tables.py worker before anything else is imported:
# its imports (SQLAlchemy, sqlacodegen: 1 s) then overlap the CLI's own (codegen/worker.py).
if {"generate", "update", "check"} & set(sys.argv[1:3]):  # the command, after an optional --debug
    worker.prestart("codegen.render.tables")

from codegen.cli import main

raise SystemExit(main())
