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
    """A Python annotation and the imports it needs: (module, name) pairs; `sqla` names the
    SQLAlchemy type class tables.py uses (plan/sqla.py adds the modifiers), "" for none."""

    annotation: str
    imports: frozenset[tuple[str, str]] = frozenset()
    sqla: str = ""

    def list_of(self, dims: int, *, nullable_elements: bool = True) -> PyType:
        """The type of an array: PostgreSQL arrays hold NULL elements whatever the column's
        NOT NULL says, so elements are `T | None` unless declared otherwise."""
        annotation = self.annotation
        for _ in range(dims):
            annotation = f"list[{annotation} | None]" if nullable_elements else f"list[{annotation}]"
        return PyType(annotation, self.imports, self.sqla)


def _t(annotation: str, *imports: tuple[str, str], sqla: str = "") -> PyType:
    return PyType(annotation, frozenset(imports), sqla)


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


def _GEO(name: str) -> tuple[str, str]:
    return ("chatmaps_db.geometry", name)


def _range(inner: str, *imports: tuple[str, str], sqla: str) -> PyType:
    return _t(f"Annotated[Range[{inner}], psycopg_value(Range)]", _RANGE, _VALID, _ANN, *imports, sqla=sqla)


def _multirange(inner: str, *imports: tuple[str, str], sqla: str) -> PyType:
    return _t(f"Annotated[Multirange[{inner}], psycopg_value(Multirange)]", _MULTI, _VALID, _ANN, *imports, sqla=sqla)


PG_TYPES: dict[str, PyType] = {
    # numbers
    "int2": _t("int", sqla="SMALLINT"),
    "int4": _t("int", sqla="INTEGER"),
    "int8": _t("int", sqla="BIGINT"),
    "oid": _t("int", sqla="OID"),
    "numeric": _t("Decimal", _DECIMAL, sqla="NUMERIC"),
    "float4": _t("float", sqla="REAL"),
    "float8": _t("float", sqla="DOUBLE_PRECISION"),
    # PostgreSQL prints money by locale ("$1,234.56"); money_value() parses that form.
    "money": _t(
        "Annotated[Decimal, money_value()]", _DECIMAL, _ANN, ("chatmaps_db._types", "money_value"), sqla="MONEY"
    ),
    # text
    "text": _t("str", sqla="TEXT"),
    "varchar": _t("str", sqla="VARCHAR"),
    "bpchar": _t("str", sqla="CHAR"),
    "char": _t("str", sqla="String"),
    "name": _t("str", sqla="String"),
    "citext": _t("str", sqla="CITEXT"),
    # other scalars
    "bool": _t("bool", sqla="BOOLEAN"),
    "bytea": _t("bytes", sqla="BYTEA"),
    "uuid": _t("UUID", ("uuid", "UUID"), sqla="UUID"),
    # dates and times
    "date": _t("date", _DATE, sqla="DATE"),
    "time": _t("time", ("datetime", "time"), sqla="TIME"),
    "timetz": _t("time", ("datetime", "time"), sqla="TIME"),
    "timestamp": _t("NaiveDatetime", ("pydantic", "NaiveDatetime"), sqla="TIMESTAMP"),
    "timestamptz": _t("AwareDatetime", ("pydantic", "AwareDatetime"), sqla="TIMESTAMP"),
    "interval": _t("timedelta", ("datetime", "timedelta"), sqla="INTERVAL"),
    # json
    "json": _t("JsonValue", ("pydantic", "JsonValue"), sqla="JSON"),
    "jsonb": _t("JsonValue", ("pydantic", "JsonValue"), sqla="JSONB"),
    # network
    "inet": _t("IPv4Address | IPv6Address | IPv4Interface | IPv6Interface", *_IP, *_IF, sqla="INET"),
    "cidr": _t("IPv4Network | IPv6Network", *_NET, sqla="CIDR"),
    "macaddr": _t("str", sqla="MACADDR"),
    "macaddr8": _t("str", sqla="MACADDR8"),
    # ranges and multiranges
    "int4range": _range("int", sqla="INT4RANGE"),
    "int8range": _range("int", sqla="INT8RANGE"),
    "numrange": _range("Decimal", _DECIMAL, sqla="NUMRANGE"),
    "daterange": _range("date", _DATE, sqla="DATERANGE"),
    "tsrange": _range("datetime", _DT, sqla="TSRANGE"),
    "tstzrange": _range("datetime", _DT, sqla="TSTZRANGE"),
    "int4multirange": _multirange("int", sqla="INT4MULTIRANGE"),
    "int8multirange": _multirange("int", sqla="INT8MULTIRANGE"),
    "nummultirange": _multirange("Decimal", _DECIMAL, sqla="NUMMULTIRANGE"),
    "datemultirange": _multirange("date", _DATE, sqla="DATEMULTIRANGE"),
    "tsmultirange": _multirange("datetime", _DT, sqla="TSMULTIRANGE"),
    "tstzmultirange": _multirange("datetime", _DT, sqla="TSTZMULTIRANGE"),
    # text-like types psycopg returns as str
    "tsvector": _t("str", sqla="TSVECTOR"),
    "tsquery": _t("str", sqla="TSQUERY"),
    "xml": _t("str"),
    "bit": _t("str", sqla="BIT"),
    "varbit": _t("str", sqla="BIT"),
    "pg_lsn": _t("str"),
    # geometric types: psycopg returns their text; chatmaps_db.geometry parses it
    "point": _t("Point", _GEO("Point")),
    "line": _t("Line", _GEO("Line")),
    "lseg": _t("LineSegment", _GEO("LineSegment")),
    "box": _t("Box", _GEO("Box")),
    "path": _t("Path", _GEO("Path")),
    "polygon": _t("Polygon", _GEO("Polygon")),
    "circle": _t("Circle", _GEO("Circle")),
    # system types a column can have: psycopg returns their text, and takes it back
    "xid": _t("str"),
    "xid8": _t("str"),
    "cid": _t("str"),
    "tid": _t("str"),
    "jsonpath": _t("str"),
    "aclitem": _t("str"),
    "refcursor": _t("str"),
    "gtsvector": _t("str"),
    "pg_snapshot": _t("str"),
    "txid_snapshot": _t("str"),
    "regclass": _t("str", sqla="REGCLASS"),
    "regcollation": _t("str"),
    "regconfig": _t("str", sqla="REGCONFIG"),
    "regdictionary": _t("str"),
    "regnamespace": _t("str"),
    "regoper": _t("str"),
    "regoperator": _t("str"),
    "regproc": _t("str"),
    "regprocedure": _t("str"),
    "regrole": _t("str"),
    "regtype": _t("str"),
    # extension types (contrib): registered as text unless noted
    "hstore": _t("dict[str, str | None]", sqla="HSTORE"),
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


def lookup(ref: ir.TypeRef, where: str, overrides: dict[str, PyType], *, nullable_elements: bool = True) -> PyType:
    """The Python type for a built-in or extension type; raise naming `where` otherwise."""
    found = overrides.get(ref.qualified) or overrides.get(ref.name) or PG_TYPES.get(ref.name)
    if found is None:
        raise UnsupportedSchema(
            f"{where}: no Python type for PostgreSQL type {ref.qualified} ({ref.sql}): add "
            f'"{ref.qualified}" = "str" (or "module:Class") under [tool.codegen.types] in pyproject.toml'
        )
    return found.list_of(ref.dims, nullable_elements=nullable_elements)
