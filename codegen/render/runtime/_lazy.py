"""The descriptor behind `db.users`: the table's class is imported, and bound to the database
or connection, on first use; the instance then sits in the owner's __dict__, so later
lookups are plain attribute reads."""

from __future__ import annotations

from importlib import import_module
from typing import Generic, TypeVar, overload

T = TypeVar("T")


class Lazy(Generic[T]):
    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name
        self.attribute = name

    def __set_name__(self, owner: type, attribute: str) -> None:
        self.attribute = attribute

    @overload
    def __get__(self, obj: None, owner: type) -> Lazy[T]: ...

    @overload
    def __get__(self, obj: object, owner: type) -> T: ...

    def __get__(self, obj: object | None, owner: type) -> Lazy[T] | T:
        if obj is None:
            return self
        value: T = getattr(import_module(self.module), self.name)(obj)
        obj.__dict__[self.attribute] = value
        return value

    def __repr__(self) -> str:
        return f"<table attribute {self.attribute}: {self.module}.{self.name}>"


__all__ = ["Lazy"]
