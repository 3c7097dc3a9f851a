"""PostgreSQL's geometric types as Python values: psycopg has none (it returns their text).

Each class parses PostgreSQL's text form (`Point.parse("(1,2)")`) and prints it
(`str(Point(1, 2)) == "(1,2)"`). `register(adapters)` teaches a psycopg connection to load
and dump them; Database does that for every connection. The models accept the values or
their text, so rows read by any driver validate.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

if TYPE_CHECKING:
    from psycopg.abc import AdaptContext, Buffer

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?Infinity|NaN")


def _numbers(text: str, count: int | None, what: str) -> list[float]:
    values = [float(n) for n in _NUMBER.findall(text)]
    if not values or (count is not None and len(values) != count) or (count is None and len(values) % 2):
        raise ValueError(f"{text!r} is not a PostgreSQL {what}")
    return values


def _g(value: float) -> str:
    return repr(value).removesuffix(".0") if value == value and abs(value) != float("inf") else str(value)


def _pairs(values: list[float]) -> tuple[Point, ...]:
    return tuple(Point(values[i], values[i + 1]) for i in range(0, len(values), 2))


def _schema(cls: Any, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
    """Pydantic support shared by the classes: accept an instance or its text; JSON is the text."""

    def validate(value: object) -> object:
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            return cls.parse(value)
        raise ValueError(f"expected {cls.__name__} or its PostgreSQL text, got {type(value).__name__}")

    return core_schema.no_info_plain_validator_function(
        validate,
        json_schema_input_schema=core_schema.str_schema(),
        serialization=core_schema.plain_serializer_function_ser_schema(str, when_used="json"),
    )


class Point(NamedTuple):
    x: float
    y: float

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return _schema(cls, source, handler)

    @classmethod
    def parse(cls, text: str) -> Point:
        x, y = _numbers(text, 2, "point")
        return cls(x, y)

    def __str__(self) -> str:
        return f"({_g(self.x)},{_g(self.y)})"


class Line(NamedTuple):
    """The line Ax + By + C = 0."""

    a: float
    b: float
    c: float

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return _schema(cls, source, handler)

    @classmethod
    def parse(cls, text: str) -> Line:
        a, b, c = _numbers(text, 3, "line")
        return cls(a, b, c)

    def __str__(self) -> str:
        return f"{{{_g(self.a)},{_g(self.b)},{_g(self.c)}}}"


class LineSegment(NamedTuple):
    start: Point
    end: Point

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return _schema(cls, source, handler)

    @classmethod
    def parse(cls, text: str) -> LineSegment:
        a, b = _pairs(_numbers(text, 4, "lseg"))
        return cls(a, b)

    def __str__(self) -> str:
        return f"[{self.start},{self.end}]"


class Box(NamedTuple):
    """Two opposite corners; PostgreSQL stores the upper right one first."""

    high: Point
    low: Point

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return _schema(cls, source, handler)

    @classmethod
    def parse(cls, text: str) -> Box:
        a, b = _pairs(_numbers(text, 4, "box"))
        return cls(a, b)

    def __str__(self) -> str:
        return f"{self.high},{self.low}"


class Path(NamedTuple):
    points: tuple[Point, ...]
    closed: bool

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return _schema(cls, source, handler)

    @classmethod
    def parse(cls, text: str) -> Path:
        return cls(_pairs(_numbers(text, None, "path")), not text.strip().startswith("["))

    def __str__(self) -> str:
        inner = ",".join(str(p) for p in self.points)
        return f"({inner})" if self.closed else f"[{inner}]"


class Polygon(NamedTuple):
    points: tuple[Point, ...]

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return _schema(cls, source, handler)

    @classmethod
    def parse(cls, text: str) -> Polygon:
        return cls(_pairs(_numbers(text, None, "polygon")))

    def __str__(self) -> str:
        return "(" + ",".join(str(p) for p in self.points) + ")"


class Circle(NamedTuple):
    center: Point
    radius: float

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return _schema(cls, source, handler)

    @classmethod
    def parse(cls, text: str) -> Circle:
        x, y, r = _numbers(text, 3, "circle")
        return cls(Point(x, y), r)

    def __str__(self) -> str:
        return f"<{self.center},{_g(self.radius)}>"


TYPES: dict[str, Any] = {
    "point": Point, "line": Line, "lseg": LineSegment, "box": Box, "path": Path, "polygon": Polygon, "circle": Circle,
}  # fmt: skip


def register(context: AdaptContext) -> None:
    """Load and dump the geometric types as these classes on `context` (a connection or cursor)."""
    from psycopg.adapt import Dumper, Loader  # here: the models import this module without psycopg

    adapters = context.adapters
    for name, cls in TYPES.items():
        info = adapters.types[name]

        class _Loader(Loader):
            parse = cls.parse

            def load(self, data: Buffer) -> Any:
                return self.parse(bytes(data).decode())

        class _Dumper(Dumper):
            oid = info.oid

            def dump(self, obj: Any) -> Buffer:
                return str(obj).encode()

        adapters.register_loader(info.oid, _Loader)
        adapters.register_dumper(cls, _Dumper)
