"""The helpers generated models build on (chatmaps_db._types), without a database."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, ClassVar

import pytest
from psycopg.types.json import Json, Jsonb
from pydantic import BaseModel, JsonValue, ValidationError

from chatmaps_db._types import UNSET, Changes, money_value


class Priced(BaseModel):
    price: Annotated[Decimal, money_value()]


@pytest.mark.parametrize(
    ("text", "value"),
    [("$12.34", "12.34"), ("-$1,234.56", "-1234.56"), ("$0.00", "0.00"), ("1000.5", "1000.5")],
)
def test_money_parses_postgresql_text(text: str, value: str) -> None:
    assert Priced(price=text).price == Decimal(value)  # type: ignore[arg-type]


def test_money_in_another_locale_says_what_to_do() -> None:
    with pytest.raises(ValidationError) as err:
        Priced(price="12,34 €")  # type: ignore[arg-type]
    assert (
        "money '12,34 €' is not in the form $1,234.56: set lc_monetary = 'C' on the server "
        "or select the column as numeric (column::numeric)"
    ) in str(err.value)


class DocUpdate(Changes):
    _json_columns: ClassVar[dict[str, str]] = {"meta": "jsonb", "raw": "json"}

    meta: JsonValue | None = UNSET
    raw: JsonValue | None = UNSET
    title: str = UNSET


def test_to_db_wraps_json_and_keeps_null_and_unset_apart() -> None:
    data = DocUpdate(meta={"a": [1]}, raw=None).to_db()
    assert set(data) == {"meta", "raw"}  # title not given: not written
    assert isinstance(data["meta"], Jsonb) and data["meta"].obj == {"a": [1]}
    assert data["raw"] is None  # SQL NULL, not JSON null
    assert isinstance(DocUpdate(raw=[1]).to_db()["raw"], Json)


def test_every_generated_model_has_a_json_schema_without_warnings() -> None:
    """FastAPI builds its OpenAPI document from these; UNSET defaults used to warn
    ("Default value UNSET is not JSON serializable") and must leave the field optional."""
    import warnings

    from chatmaps_db import models

    exported = [getattr(models, name) for name in models.__all__]
    classes = [c for c in exported if isinstance(c, type) and issubclass(c, BaseModel)]
    assert len(classes) >= 12  # 4 tables x (row, insert, update)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        schemas = {c.__name__: c.model_json_schema() for c in classes}
        schemas |= {c.__name__ + "/ser": c.model_json_schema(mode="serialization") for c in classes}
    assert schemas["UserInsert"]["required"] == ["name", "email"]
    assert "default" not in schemas["UserInsert"]["properties"]["id"]
    assert "required" not in schemas["UserUpdate"]
    assert schemas["UserUpdate"]["properties"]["image"]["anyOf"] == [{"type": "string"}, {"type": "null"}]
    # A left-out field is still UNSET, not written, and told apart from None.
    update = models.UserUpdate(image=None)
    assert update.to_db() == {"image": None}
    assert models.UserUpdate().name is UNSET


def test_an_insert_model_dumps_to_json_without_its_unset_fields() -> None:
    """UserInsert(...).model_dump_json() raised "Unable to serialize unknown type: _Unset"."""
    from chatmaps_db import models

    row = models.UserInsert(name="Ada", email="ada@example.com")
    assert row.model_dump_json() == '{"name":"Ada","email":"ada@example.com"}'  # what was given
    assert row.model_dump() == {"name": "Ada", "email": "ada@example.com"}
    assert models.UserUpdate(image=None).model_dump_json() == '{"image":null}'
