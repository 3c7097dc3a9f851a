"""A generated package, seen from the developer tools (make seed, make studio): its table-layer
classes, found from the Lazy attributes of its Tables class (chatmaps_db.access)."""

from __future__ import annotations

import importlib
from typing import Any


def table_classes(tables: type[Any]) -> dict[str, tuple[str, type[Any]]]:
    """{schema.table: (attribute on Database, table-layer class)} for every table (not views):
    the class holds its Spec (`_spec`) and its Insert model (`_insert_model`)."""
    found: dict[str, tuple[str, type[Any]]] = {}
    for klass in tables.__mro__:
        for attribute, value in vars(klass).items():
            module, name = getattr(value, "module", None), getattr(value, "name", None)
            if not isinstance(module, str) or ".access." not in module or not isinstance(name, str):
                continue
            cls = getattr(importlib.import_module(module), name)
            if getattr(cls, "_insert_model", None) is not None:
                found.setdefault(cls._spec.table, (attribute, cls))
    return found


def changes_models(cls: type[Any]) -> tuple[type[Any], type[Any]]:
    """(Insert model, Update model) of a table-layer class (they share a module and a stem)."""
    insert = cls._insert_model
    update = getattr(importlib.import_module(insert.__module__), insert.__name__.removesuffix("Insert") + "Update")
    return insert, update
