"""The one table from PostgreSQL types to Python annotations.

`PG_TYPES` is keyed by pg_type.typname (what introspection reports for built-in types;
extension types are matched by name in any schema). Each entry says the annotation and
what it imports. Enums, domains and composites are mapped by the planner to the classes
and aliases it generates. Anything else is an error: never a silent Any.
"""

from __future__ import annotations

from dataclasses import dataclass

from codegen import ir
from codegen.errors import UnsupportedSchema


@dataclass(frozen=True)
class PyType:
    """A Python annotation and the imports it needs: (module, name) pairs."""

    annotation: str
    imports: frozenset[tuple[str, str]] = frozenset()

    def list_of(self, dims: int) -> PyType:
        annotation = self.annotation
        for _ in range(dims):
            annotation = f"list[{annotation}]"
        return PyType(annotation, self.imports)


def _t(annotation: str, *imports: tuple[str, str]) -> PyType:
    return PyType(annotation, frozenset(imports))


_DECIMAL = ("decimal", "Decimal")
_DT = ("datetime", "datetime")
_DATE = ("datetime", "date")
_RANGE = ("psycopg.types.range", "Range")
_MULTI = ("psycopg.types.multirange", "Multirange")
_IP = ("ipaddress", "IPv4Address"), ("ipaddress", "IPv6Address")
_IF = ("ipaddress", "IPv4Interface"), ("ipaddress", "IPv6Interface")
_NET = ("ipaddress", "IPv4Network"), ("ipaddress", "IPv6Network")
_VALID = ("chatmaps_db._types", "psycopg_value")
_ANN = ("typing", "Annotated")


def _range(inner: str, *imports: tuple[str, str]) -> PyType:
    return _t(f"Annotated[Range[{inner}], psycopg_value(Range)]", _RANGE, _VALID, _ANN, *imports)


def _multirange(inner: str, *imports: tuple[str, str]) -> PyType:
    return _t(f"Annotated[Multirange[{inner}], psycopg_value(Multirange)]", _MULTI, _VALID, _ANN, *imports)


PG_TYPES: dict[str, PyType] = {
    # numbers
    "int2": _t("int"),
    "int4": _t("int"),
    "int8": _t("int"),
    "oid": _t("int"),
    "numeric": _t("Decimal", _DECIMAL),
    "float4": _t("float"),
    "float8": _t("float"),
    # PostgreSQL prints money by locale ("$1,234.56"); money_value() parses that form.
    "money": _t("Annotated[Decimal, money_value()]", _DECIMAL, _ANN, ("chatmaps_db._types", "money_value")),
    # text
    "text": _t("str"),
    "varchar": _t("str"),
    "bpchar": _t("str"),
    "char": _t("str"),
    "name": _t("str"),
    "citext": _t("str"),
    # other scalars
    "bool": _t("bool"),
    "bytea": _t("bytes"),
    "uuid": _t("UUID", ("uuid", "UUID")),
    # dates and times
    "date": _t("date", _DATE),
    "time": _t("time", ("datetime", "time")),
    "timetz": _t("time", ("datetime", "time")),
    "timestamp": _t("NaiveDatetime", ("pydantic", "NaiveDatetime")),
    "timestamptz": _t("AwareDatetime", ("pydantic", "AwareDatetime")),
    "interval": _t("timedelta", ("datetime", "timedelta")),
    # json
    "json": _t("JsonValue", ("pydantic", "JsonValue")),
    "jsonb": _t("JsonValue", ("pydantic", "JsonValue")),
    # network
    "inet": _t("IPv4Address | IPv6Address | IPv4Interface | IPv6Interface", *_IP, *_IF),
    "cidr": _t("IPv4Network | IPv6Network", *_NET),
    "macaddr": _t("str"),
    "macaddr8": _t("str"),
    # ranges and multiranges
    "int4range": _range("int"),
    "int8range": _range("int"),
    "numrange": _range("Decimal", _DECIMAL),
    "daterange": _range("date", _DATE),
    "tsrange": _range("datetime", _DT),
    "tstzrange": _range("datetime", _DT),
    "int4multirange": _multirange("int"),
    "int8multirange": _multirange("int"),
    "nummultirange": _multirange("Decimal", _DECIMAL),
    "datemultirange": _multirange("date", _DATE),
    "tsmultirange": _multirange("datetime", _DT),
    "tstzmultirange": _multirange("datetime", _DT),
    # text-like types psycopg returns as str
    "tsvector": _t("str"),
    "tsquery": _t("str"),
    "xml": _t("str"),
    "bit": _t("str"),
    "varbit": _t("str"),
    "pg_lsn": _t("str"),
    # extension types (contrib): registered as text unless noted
    "hstore": _t("dict[str, str | None]"),
    "ltree": _t("str"),
    "lquery": _t("str"),
    "ltxtquery": _t("str"),
    "isbn": _t("str"),
    "isbn13": _t("str"),
    "ismn": _t("str"),
    "ismn13": _t("str"),
    "issn": _t("str"),
    "issn13": _t("str"),
    "ean13": _t("str"),
    "upc": _t("str"),
}


def parse_override(spec: str) -> PyType:
    """`str`, `dict[str, str]` or `module:Name` (imported) from [tool.codegen.types]."""
    if ":" in spec:
        module, name = spec.split(":", 1)
        return _t(name, (module, name))
    return _t(spec)


def lookup(ref: ir.TypeRef, where: str, overrides: dict[str, PyType]) -> PyType:
    """The Python type for a built-in or extension type; raise naming `where` otherwise."""
    found = overrides.get(ref.qualified) or overrides.get(ref.name) or PG_TYPES.get(ref.name)
    if found is None:
        raise UnsupportedSchema(
            f"{where}: no Python type for PostgreSQL type {ref.qualified} ({ref.sql}): add "
            f'"{ref.qualified}" = "str" (or "module:Class") under [tool.codegen.types] in pyproject.toml'
        )
    return found.list_of(ref.dims)
