"""A row through every table of a generated package: insert (every column given a value of its
type), get by the primary key, update, list, delete. Run inside the package (cwd, on the path)
with the project on the path (codegen.dev.package finds the tables), against argv[1].
Prints one line per table that failed, then `N tables`."""

from __future__ import annotations

import enum
import sys
import typing
from decimal import Decimal

from chatmaps_db import Database
from chatmaps_db.access import Tables
from codegen.dev import package


def value_for(hint: object) -> object:
    """A value of the field's type (the first of a union but None); None for a type not here."""
    kinds = [a for a in typing.get_args(hint) if a is not type(None)] if typing.get_origin(hint) else [hint]
    kind = kinds[0] if kinds else hint
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return next(iter(kind))
    if kind is Decimal:
        return Decimal(1)
    if isinstance(kind, type) and kind.__name__ == "Point":
        return "(1,2)"
    return {int: 1, str: "x", bool: True}.get(kind)  # type: ignore[call-overload]


def main(url: str) -> int:
    db = Database(url)
    failed = 0
    found = package.table_classes(Tables)
    for table, (attribute, cls) in sorted(found.items()):
        layer = getattr(db, attribute)
        insert_model = cls._insert_model
        try:
            hints = typing.get_type_hints(insert_model)
            values = {
                (info.validation_alias if isinstance(info.validation_alias, str) else name): value_for(hints[name])
                for name, info in insert_model.model_fields.items()
            }
            row = layer.insert(insert_model.model_validate(values))
            assert layer.get(row.id) == row, "get"
            assert layer.list() == [row] and layer.count() == 1, "list"
            update_model = cls._update_model
            changed = layer.update(row.id, update_model())
            assert changed == row, "update of nothing"
            assert layer.delete(row.id) and layer.count() == 0, "delete"
        except Exception as exc:  # one line per table: which, and why
            failed += 1
            print(f"{table}: {type(exc).__name__}: {exc}")
    print(f"{len(found)} tables")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
