"""The one table from PostgreSQL types to Python annotations.

`PG_TYPES` is keyed by pg_type.typname (what introspection reports for built-in types;
extension types are matched by name in any schema). Each entry says the annotation and
what it imports. Enums, domains and composites are mapped by the planner to the classes
and aliases it generates. Anything else is an error: never a silent Any.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from codegen import ir
from codegen.errors import UnsupportedSchema

Filter = Literal["order", "eq", "none"]
# Which operators a where= condition offers on a column of the type, beyond its Filter's
# (chatmaps_db._where): text matching, jsonb containment and keys, range containment.
Family = Literal["", "text", "jsonb", "range"]


@dataclass(frozen=True)
class PyType:
    """A Python annotation and the imports it needs: (module, name) pairs; `sqla` names the
    SQLAlchemy type class tables.py uses (plan/sqla.py adds the modifiers), "" for none.

    For the table layer (chatmaps_db.access): `binary` says psycopg loads the type from
    PostgreSQL's binary format (otherwise it would return bytes, so a table with such a
    column is read as text); `trusted` says what psycopg loads is already the annotation's
    type, so rows skip validation (money arrives as text and is not); `filter` says what
    list()/count()/order_by may do with the column: "order" (= and ORDER BY), "eq" (= only),
    "none" (json: no plain equality worth offering; point: no = at all). `family` adds a where=
    condition's operators for text, jsonb and ranges; a range's `element` is its subtype's
    annotation and `subtype` the subtype's name in pg_catalog (what contains(value) sends).
    """

    annotation: str
    imports: frozenset[tuple[str, str]] = frozenset()
    sqla: str = ""
    binary: bool = True
    trusted: bool = True
    filter: Filter = "order"
    family: Family = ""
    element: str = ""
    subtype: str = ""

    def list_of(self, dims: int, *, nullable_elements: bool = True, list_name: str = "list") -> PyType:
        """The type of an array: PostgreSQL arrays hold NULL elements whatever the column's
        NOT NULL says, so elements are `T | None` unless declared otherwise. `list_name` is
        how the module spells list (`builtins.list` where a method named list hides it)."""
        annotation = self.annotation
        for _ in range(dims):
            annotation = f"{list_name}[{annotation} | None]" if nullable_elements else f"{list_name}[{annotation}]"
        # An array compares as a whole: = and ORDER BY if its elements have them; a list is its value, not IN.
        return replace(self, annotation=annotation) if dims else self


def _t(
    annotation: str,
    *imports: tuple[str, str],
    sqla: str = "",
    binary: bool = True,
    trusted: bool = True,
    filter: Filter = "order",
    family: Family = "",
) -> PyType:
    return PyType(annotation, frozenset(imports), sqla, binary, trusted, filter, family)


def _text(
    annotation: str, *imports: tuple[str, str], sqla: str = "", filter: Filter = "order", family: Family = ""
) -> PyType:
    """A type psycopg has no binary loader for: a table with one is read in text format."""
    return _t(annotation, *imports, sqla=sqla, binary=False, filter=filter, family=family)


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


def _range(inner: str, *imports: tuple[str, str], sqla: str, subtype: str) -> PyType:
    py = _t(f"Annotated[Range[{inner}], psycopg_value(Range)]", _RANGE, _VALID, _ANN, *imports, sqla=sqla)
    return replace(py, family="range", element=inner, subtype=subtype)


def _multirange(inner: str, *imports: tuple[str, str], sqla: str, subtype: str) -> PyType:
    py = _t(f"Annotated[Multirange[{inner}], psycopg_value(Multirange)]", _MULTI, _VALID, _ANN, *imports, sqla=sqla)
    return replace(py, family="range", element=inner, subtype=subtype)


PG_TYPES: dict[str, PyType] = {
    # numbers
    "int2": _t("int", sqla="SMALLINT"),
    "int4": _t("int", sqla="INTEGER"),
    "int8": _t("int", sqla="BIGINT"),
    "oid": _t("int", sqla="OID"),
    "numeric": _t("Decimal", _DECIMAL, sqla="NUMERIC"),
    "float4": _t("float", sqla="REAL"),
    "float8": _t("float", sqla="DOUBLE_PRECISION"),
    # PostgreSQL prints money by locale ("$1,234.56"); money_value() parses that form. It filters
    # and orders: the table layer sends a Decimal as money (every value as its column's type).
    "money": _t(
        "Annotated[Decimal, money_value()]",
        _DECIMAL,
        _ANN,
        ("chatmaps_db._types", "money_value"),
        sqla="MONEY",
        binary=False,
        trusted=False,
    ),
    # text
    "text": _t("str", sqla="TEXT", family="text"),
    "varchar": _t("str", sqla="VARCHAR", family="text"),
    "bpchar": _t("str", sqla="CHAR", family="text"),
    "char": _t("str", sqla="String"),
    "name": _t("str", sqla="String", family="text"),
    "citext": _text("str", sqla="CITEXT", family="text"),
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
    "json": _t("JsonValue", ("pydantic", "JsonValue"), sqla="JSON", filter="none"),
    "jsonb": _t("JsonValue", ("pydantic", "JsonValue"), sqla="JSONB", filter="none", family="jsonb"),
    # network
    "inet": _t("IPv4Address | IPv6Address | IPv4Interface | IPv6Interface", *_IP, *_IF, sqla="INET"),
    "cidr": _t("IPv4Network | IPv6Network", *_NET, sqla="CIDR"),
    "macaddr": _text("str", sqla="MACADDR"),
    "macaddr8": _text("str", sqla="MACADDR8"),
    # ranges and multiranges
    "int4range": _range("int", sqla="INT4RANGE", subtype="int4"),
    "int8range": _range("int", sqla="INT8RANGE", subtype="int8"),
    "numrange": _range("Decimal", _DECIMAL, sqla="NUMRANGE", subtype="numeric"),
    "daterange": _range("date", _DATE, sqla="DATERANGE", subtype="date"),
    "tsrange": _range("datetime", _DT, sqla="TSRANGE", subtype="timestamp"),
    "tstzrange": _range("datetime", _DT, sqla="TSTZRANGE", subtype="timestamptz"),
    "int4multirange": _multirange("int", sqla="INT4MULTIRANGE", subtype="int4"),
    "int8multirange": _multirange("int", sqla="INT8MULTIRANGE", subtype="int8"),
    "nummultirange": _multirange("Decimal", _DECIMAL, sqla="NUMMULTIRANGE", subtype="numeric"),
    "datemultirange": _multirange("date", _DATE, sqla="DATEMULTIRANGE", subtype="date"),
    "tsmultirange": _multirange("datetime", _DT, sqla="TSMULTIRANGE", subtype="timestamp"),
    "tstzmultirange": _multirange("datetime", _DT, sqla="TSTZMULTIRANGE", subtype="timestamptz"),
    # text-like types psycopg returns as str
    "tsvector": _text("str", sqla="TSVECTOR"),
    "tsquery": _text("str", sqla="TSQUERY"),
    "xml": _text("str", filter="none"),
    "bit": _text("str", sqla="BIT"),
    "varbit": _text("str", sqla="BIT"),
    "pg_lsn": _text("str"),
    # geometric types: psycopg returns their text; chatmaps_db.geometry parses it
    "point": _text("Point", _GEO("Point"), filter="none"),
    "line": _text("Line", _GEO("Line"), filter="none"),
    "lseg": _text("LineSegment", _GEO("LineSegment"), filter="none"),
    "box": _text("Box", _GEO("Box"), filter="none"),
    "path": _text("Path", _GEO("Path"), filter="none"),
    "polygon": _text("Polygon", _GEO("Polygon"), filter="none"),
    "circle": _text("Circle", _GEO("Circle"), filter="none"),
    # system types a column can have: psycopg returns their text, and takes it back
    "xid": _text("str", filter="eq"),
    "xid8": _text("str", filter="eq"),
    "cid": _text("str", filter="eq"),
    "tid": _text("str"),
    "jsonpath": _text("str", filter="none"),
    "aclitem": _text("str", filter="none"),
    "refcursor": _text("str"),
    "gtsvector": _text("str", filter="none"),
    "pg_snapshot": _text("str", filter="none"),
    "txid_snapshot": _text("str", filter="none"),
    "regclass": _text("str", sqla="REGCLASS"),
    "regcollation": _text("str"),
    "regconfig": _text("str", sqla="REGCONFIG"),
    "regdictionary": _text("str"),
    "regnamespace": _text("str"),
    "regoper": _text("str"),
    "regoperator": _text("str"),
    "regproc": _text("str"),
    "regprocedure": _text("str"),
    "regrole": _text("str"),
    "regtype": _text("str"),
    # extension types (contrib): registered as text unless noted
    "hstore": _t("dict[str, str | None]", sqla="HSTORE", filter="eq"),
    "ltree": _text("str"),
    "lquery": _text("str", filter="none"),
    "ltxtquery": _text("str", filter="none"),
    "isbn": _text("str"),
    "isbn13": _text("str"),
    "ismn": _text("str"),
    "ismn13": _text("str"),
    "issn": _text("str"),
    "issn13": _text("str"),
    "ean13": _text("str"),
    "upc": _text("str"),
}


def parse_override(spec: str) -> PyType:
    """`str`, `dict[str, str]` or `module:Name` (imported) from [tool.codegen.types]."""
    if ":" in spec:
        module, name = spec.split(":", 1)
        return _t(name, (module, name), binary=False, trusted=False, filter="none")
    return _t(spec, binary=False, trusted=False, filter="none")


def lookup(
    ref: ir.TypeRef,
    where: str,
    overrides: dict[str, PyType],
    *,
    nullable_elements: bool = True,
    list_name: str = "list",
) -> PyType:
    """The Python type for a built-in or extension type; raise naming `where` otherwise."""
    found = overrides.get(ref.qualified) or overrides.get(ref.name) or PG_TYPES.get(ref.name)
    if found is None:
        raise UnsupportedSchema(
            f"{where}: no Python type for PostgreSQL type {ref.qualified} ({ref.sql}): add "
            f'"{ref.qualified}" = "str" (or "module:Class") under [tool.codegen.types] in pyproject.toml'
        )
    return found.list_of(ref.dims, nullable_elements=nullable_elements, list_name=list_name)
